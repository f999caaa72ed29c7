package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static dev.sluice.testing.RunningGateway.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.Refused;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway over real loopback sockets: a real JDK TLS client with SNI, the in-JVM CONNECT proxy, and a TLS
 * origin whose certificate the client verifies (so a finished handshake proves the ClientHello arrived intact).
 */
@ExtendWith(NettyLeaks.class)
class GatewayIntegrationTest {
    static final String PASSWORD = "s3cret-P4ss:word";
    /** The upstream's auth line in {@link #config}; more upstream keys are added after it. */
    static final String AUTH_LINE = "    auth: { username: gateway, password_file: proxy.pass }\n";

    @TempDir
    Path dir;
    Origin origin;
    FakeProxy proxy;
    RunningGateway gw;

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.tls(Origin.COMMANDS);
        proxy = new FakeProxy().requireAuth("gateway", PASSWORD).route("proxy.golang.org:443", origin.port());
        Files.writeString(dir.resolve("proxy.pass"), PASSWORD + "\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        proxy.close();
        origin.close();
    }

    String config(String proxies, String extra) {
        return """
                listeners:
                  - { name: https, listen: 127.0.0.1:0, transparent: off, peek: tls, default_port: 443 }
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [%s]
                    auth: { username: gateway, password_file: proxy.pass }
                rules:
                  - { name: go, sni: [proxy.golang.org, .golang.org], action: splice, upstream: corp }
                  - { name: blocked, sni: [.blocked.example.test], action: reject }
                timeouts: { client_hello: 500ms, connect: 500ms, idle: 15m }
                %s
                """.formatted(proxies, extra);
    }

    String proxyUrl(int port) {
        return "http://127.0.0.1:" + port;
    }

    @Test
    void spliceCarriesBytesBothWaysThroughTheProxyByHostname() throws Exception {
        gw = RunningGateway.start(config(proxyUrl(proxy.port()), ""), dir);
        try (SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
            OutputStream out = tls.getOutputStream();
            InputStream in = tls.getInputStream();
            out.write("UP 1048576\n".getBytes(StandardCharsets.US_ASCII));
            String sent = Clients.send(out, 1 << 20, 1);
            assertThat(Clients.readLine(in)).isEqualTo(sent);
            out.write("DOWN 1048576 2\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(Clients.receive(in, 1 << 20)).isEqualTo(Clients.send(OutputStream.nullOutputStream(), 1 << 20, 2));
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(field(line, "sni")).isEqualTo("proxy.golang.org");
        assertThat(line).contains("\"alpn\":[\"http/1.1\"]");
        assertThat(field(line, "rule")).isEqualTo("go");
        assertThat(field(line, "action")).isEqualTo("splice");
        assertThat(field(line, "upstream")).isEqualTo("corp");
        assertThat(field(line, "proxy")).isEqualTo("127.0.0.1:" + proxy.port());
        assertThat(number(line, "bytes_up")).isGreaterThan(1 << 20);
        assertThat(number(line, "bytes_down")).isGreaterThan(1 << 20);
        assertThat(origin.serverNames).containsExactly("proxy.golang.org");
        // CONNECT by name, never by address, with the configured credentials
        assertThat(proxy.requests).hasSize(1);
        assertThat(proxy.requests.get(0)).startsWith("CONNECT proxy.golang.org:443 HTTP/1.1\r\n");
        assertThat(proxy.requests.get(0)).containsIgnoringCase("Host: proxy.golang.org:443");
        assertNoPasswordIn(String.join("\n", gw.accessLog));
    }

    @Test
    void reloadAppliesToNewConnectionsWhileOpenTunnelsContinue() throws Exception {
        String before = config(proxyUrl(proxy.port()), "");
        gw = RunningGateway.start(before, dir);
        try (SSLSocket open = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
            open.getOutputStream().write("UP 1000\n".getBytes(StandardCharsets.US_ASCII));
            String first = Clients.send(open.getOutputStream(), 1000, 1);
            assertThat(Clients.readLine(open.getInputStream())).isEqualTo(first);

            gw.gateway.reload(dev.sluice.config.ConfigLoader.parse("test.yaml",
                    before.replace("action: splice, upstream: corp", "action: reject"), dir));

            try (Socket late = Clients.tcp(gw.port())) {
                late.getOutputStream().write(Hellos.captured("go.bin"));
                Refused.assertToldPromptly(late, "access_denied");
            }
            String rejected = gw.awaitLine(0);
            assertThat(field(rejected, "outcome")).isEqualTo("rejected");
            assertThat(field(rejected, "error")).isEqualTo("rule 'go' rejects");

            open.getOutputStream().write("UP 100000\n".getBytes(StandardCharsets.US_ASCII));
            String second = Clients.send(open.getOutputStream(), 100000, 2);
            assertThat(Clients.readLine(open.getInputStream())).as("the tunnel opened before the reload goes on")
                    .isEqualTo(second);
        }
        assertThat(field(gw.awaitLine(1), "outcome")).isEqualTo("ok");
    }

    @Test
    void credentialsByClientFirstMatchWins() throws Exception {
        Files.writeString(dir.resolve("team.pass"), "team-secret\n");
        proxy.requireAuth("team-a", "team-secret");
        String yaml = config(proxyUrl(proxy.port()), "").replace(AUTH_LINE, AUTH_LINE
                + "    credentials_by_client:\n"
                        + "      - { clients: [10.0.0.0/8], username: other, password_file: proxy.pass }\n"
                        + "      - { clients: [127.0.0.0/8], username: team-a, password_file: team.pass }\n");
        gw = RunningGateway.start(yaml, dir);
        roundTrip(gw.port());
        assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
        assertThat(proxy.requests.get(0)).containsIgnoringCase("proxy-authorization: Basic "
                + Base64.getEncoder().encodeToString("team-a:team-secret".getBytes(StandardCharsets.UTF_8)));
        assertThat(String.join("\n", gw.accessLog)).doesNotContain("team-secret");
    }

    @Test
    void failsOverToTheNextProxyWhenTheFirstRefuses() throws Exception {
        int dead = TestServer.closedPort();
        gw = RunningGateway.start(config(proxyUrl(dead) + ", " + proxyUrl(proxy.port()), ""), dir);
        roundTrip(gw.port());
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(field(line, "proxy")).isEqualTo("127.0.0.1:" + proxy.port());
        assertThat(line).contains("{\"via\":\"127.0.0.1:" + dead + "\",\"error\":\"Connection refused\"")
                .contains("{\"via\":\"127.0.0.1:" + proxy.port() + "\",\"error\":null");
    }

    @Test
    void aProxyOutOfServiceIsTriedLastAndTheLogSaysWhenAllAreOut() throws Exception {
        int dead = TestServer.closedPort();
        gw = RunningGateway.start(config(proxyUrl(dead) + ", " + proxyUrl(proxy.port()), "").replace(AUTH_LINE,
                AUTH_LINE + "    health: { fall: 1 }\n"), dir);
        roundTrip(gw.port()); // the dead proxy fails once: out of service (fall 1)
        roundTrip(gw.port());
        String second = gw.awaitLine(1);
        assertThat(second).as("the second tunnel goes straight to the healthy proxy")
                .contains("\"attempts\":[{\"via\":\"127.0.0.1:" + proxy.port() + "\",\"error\":null");
        proxy.close(); // now both are dead
        for (int i = 0; i < 2; i++) {
            try (Socket s = Clients.tcp(gw.port())) {
                s.getOutputStream().write(Hellos.captured("go.bin"));
                Refused.assertToldPromptly(s, "internal_error");
            }
        }
        String last = gw.awaitLine(3);
        assertThat(field(last, "outcome")).isEqualTo("connect_error");
        assertThat(field(last, "note")).isEqualTo("every proxy of upstream corp is out of service; tried anyway");
    }

    @Test
    void activeHealthProbesTakeABrokenProxyOutBeforeTrafficHitsIt() throws Exception {
        try (FakeProxy broken = new FakeProxy()) {
            broken.answer("502 Bad Gateway");
            gw = RunningGateway.start(config(proxyUrl(broken.port()) + ", " + proxyUrl(proxy.port()), "").replace(AUTH_LINE,
                    AUTH_LINE + "    health: { target: proxy.golang.org:443, interval: 100ms, timeout: 1s, fall: 2 }\n"),
                    dir);
            dev.sluice.upstream.Proxy first = gw.gateway.compiled().upstreams().get("corp").proxies().get(0);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> !first.isUp());
            assertThat(broken.requests).allMatch(r -> r.startsWith("CONNECT proxy.golang.org:443 "));
            roundTrip(gw.port());
            assertThat(gw.awaitLine(0)).contains("\"attempts\":[{\"via\":\"127.0.0.1:" + proxy.port() + "\"");
        }
    }

    @Test
    void fastestOfRacesTheConnectAndClosesTheLoser() throws Exception {
        try (FakeProxy slow = new FakeProxy()) {
            slow.mode(FakeProxy.Mode.HANG);
            gw = RunningGateway.start(config(proxyUrl(slow.port()) + ", " + proxyUrl(proxy.port()), "").replace(AUTH_LINE,
                    AUTH_LINE + "    fastest_of: 2\n")
                    .replace("connect: 500ms", "connect: 5s"), dir);
            roundTrip(gw.port());
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("ok");
            assertThat(field(line, "proxy")).isEqualTo("127.0.0.1:" + proxy.port());
            assertThat(number(line, "duration_ms")).as("not held up by the silent proxy").isLessThan(4000);
            assertThat(slow.requests).as("the CONNECT was raced").hasSize(1);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(3))
                    .until(() -> slow.openConnections() == 0);
        }
    }

    @Test
    void theRetryDeadlineEndsTheTries() throws Exception {
        try (FakeProxy hang1 = new FakeProxy(); FakeProxy hang2 = new FakeProxy()) {
            hang1.mode(FakeProxy.Mode.HANG);
            hang2.mode(FakeProxy.Mode.HANG);
            gw = RunningGateway.start(config(proxyUrl(hang1.port()) + ", " + proxyUrl(hang2.port()) + ", "
                    + proxyUrl(proxy.port()), "").replace(AUTH_LINE,
                    AUTH_LINE + "    retry: { deadline: 700ms }\n"), dir);
            try (Socket s = Clients.tcp(gw.port())) {
                s.getOutputStream().write(Hellos.captured("go.bin"));
                Refused.assertToldPromptly(s, "internal_error");
            }
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("proxy_error");
            assertThat(field(line, "error")).contains("retry deadline of 700 ms reached after 2 attempts");
        }
    }

    @Test
    void failsOverWhenTheFirstProxyAnswersAnError() throws Exception {
        try (FakeProxy broken = new FakeProxy()) {
            broken.answer("502 Bad Gateway");
            gw = RunningGateway.start(config(proxyUrl(broken.port()) + ", " + proxyUrl(proxy.port()), ""), dir);
            roundTrip(gw.port());
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("ok");
            assertThat(line).contains("\"error\":\"502 Bad Gateway\"");
        }
    }

    @Test
    void directConnectsToTheDestinationItself() throws Exception {
        String yaml = """
                listeners:
                  - { name: inside, listen: 127.0.0.1:0, default_port: %d }
                clients: [127.0.0.0/8]
                rules:
                  - { name: local, sni: [localhost], action: direct }
                """.formatted(origin.port());
        gw = RunningGateway.start(yaml, dir);
        try (SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), "localhost")) {
            tls.getOutputStream().write("UP 1000\n".getBytes(StandardCharsets.US_ASCII));
            String sent = Clients.send(tls.getOutputStream(), 1000, 7);
            assertThat(Clients.readLine(tls.getInputStream())).isEqualTo(sent);
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(field(line, "action")).isEqualTo("direct");
        assertThat(field(line, "proxy")).endsWith(":" + origin.port());
    }

    @Test
    void aCatchAllDirectRuleNeverTakesAClientChosenNameToTheGatewaysOwnServices() throws Exception {
        String yaml = """
                listeners:
                  - { name: inside, listen: 127.0.0.1:0, default_port: %d }
                clients: [127.0.0.0/8]
                rules:
                  - { name: anything, action: direct }
                """.formatted(origin.port());
        gw = RunningGateway.start(yaml, dir);
        try (Socket s = Clients.tcp(gw.port())) {
            // a hello naming "localhost" (the curl fixture with its SNI rewritten, same length)
            byte[] hello = Hellos.captured("curl.bin");
            int at = new String(hello, StandardCharsets.ISO_8859_1).indexOf("github.com");
            System.arraycopy("localhost.".getBytes(StandardCharsets.US_ASCII), 0, hello, at, 10);
            s.getOutputStream().write(hello);
            Refused.assertToldPromptly(s, "access_denied");
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("rejected");
        assertThat(field(line, "error")).isEqualTo("refused: server name localhost is this host (loopback, RFC 6761)");
    }

    @Test
    void helloDrippedOneByteAtATimeArrivesUnchanged() throws Exception {
        byte[] hello = Hellos.captured("chromium.bin");
        AtomicLong helloMatches = new AtomicLong();
        try (Origin raw = Origin.raw(s -> {
            byte[] got = s.getInputStream().readNBytes(hello.length);
            if (java.util.Arrays.equals(got, hello)) {
                helloMatches.incrementAndGet();
            }
            s.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getInputStream().read();
        })) {
            proxy.route("www.example.com:443", raw.port());
            gw = RunningGateway.start(config(proxyUrl(proxy.port()),
                    "").replace("proxy.golang.org, .golang.org", "proxy.golang.org, www.example.com")
                    .replace("client_hello: 500ms", "client_hello: 20s"), dir);
            try (Socket s = Clients.tcp(gw.port())) {
                for (byte b : hello) {
                    s.getOutputStream().write(b);
                    s.getOutputStream().flush();
                }
                assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");
            }
            assertThat(helloMatches.get()).isEqualTo(1);
            assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
        }
    }

    @Test
    void halfCloseTravelsBothWays() throws Exception {
        byte[] hello = Hellos.captured("go.bin");
        try (Origin raw = Origin.raw(s -> {
            s.getInputStream().readNBytes(hello.length);
            String up = Clients.receiveAll(s.getInputStream()); // until the client's FIN arrives
            s.getOutputStream().write((up + "\n").getBytes(StandardCharsets.US_ASCII));
            Clients.send(s.getOutputStream(), 300_000, 9);
            s.shutdownOutput();
        })) {
            proxy.route("proxy.golang.org:443", raw.port());
            gw = RunningGateway.start(config(proxyUrl(proxy.port()), ""), dir);
            try (Socket s = Clients.tcp(gw.port())) {
                s.getOutputStream().write(hello);
                String sent = Clients.send(s.getOutputStream(), 500_000, 8);
                s.shutdownOutput(); // FIN: the client is done sending, still reading
                assertThat(Clients.readLine(s.getInputStream())).isEqualTo(sent + ":500000");
                assertThat(Clients.receiveAll(s.getInputStream()))
                        .isEqualTo(Clients.send(OutputStream.nullOutputStream(), 300_000, 9) + ":300000");
            }
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("ok");
            assertThat(number(line, "bytes_up")).isEqualTo(hello.length + 500_000);
        }
    }

    @Test
    void clientHalfClosesThenReadsALargeAnswerLate() throws Exception {
        byte[] hello = Hellos.captured("go.bin");
        long size = 20L << 20;
        try (Origin raw = Origin.raw(s -> {
            s.getInputStream().readNBytes(hello.length);
            Clients.receiveAll(s.getInputStream()); // until the client's FIN
            Clients.send(s.getOutputStream(), size, 31); // far more than the socket buffers hold
            s.shutdownOutput();
        })) {
            proxy.route("proxy.golang.org:443", raw.port());
            gw = RunningGateway.start(config(proxyUrl(proxy.port()), ""), dir);
            try (Socket s = Clients.tcp(gw.port())) {
                s.getOutputStream().write(hello);
                s.shutdownOutput();
                Thread.sleep(1000); // the gateway's writes to this client must wait for it, after its FIN
                assertThat(Clients.receiveAll(s.getInputStream()))
                        .isEqualTo(Clients.send(OutputStream.nullOutputStream(), size, 31) + ":" + size);
            }
            assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
        }
    }

    @Test
    void serverHalfClosesThenReadsALargeUploadSlowly() throws Exception {
        byte[] hello = Hellos.captured("go.bin");
        long size = 20L << 20;
        try (Origin raw = Origin.raw(s -> {
            s.getInputStream().readNBytes(hello.length);
            s.shutdownOutput(); // the server is done talking first
            Thread.sleep(1000);
            String got = Clients.receiveAll(s.getInputStream());
            try (Socket report = new Socket(java.net.InetAddress.getLoopbackAddress(), reportPort)) {
                report.getOutputStream().write(got.getBytes(StandardCharsets.US_ASCII));
            }
        })) {
            proxy.route("proxy.golang.org:443", raw.port());
            gw = RunningGateway.start(config(proxyUrl(proxy.port()), ""), dir);
            try (java.net.ServerSocket reports = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                reportPort = reports.getLocalPort();
                String sent;
                try (Socket s = Clients.tcp(gw.port())) {
                    s.getOutputStream().write(hello);
                    assertThat(s.getInputStream().read()).as("EOF from the server's half-close").isEqualTo(-1);
                    sent = Clients.send(s.getOutputStream(), size, 32);
                    s.shutdownOutput();
                    try (Socket report = reports.accept()) {
                        assertThat(new String(report.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                                .isEqualTo(sent + ":" + size);
                    }
                }
            }
            assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
        }
    }

    static volatile int reportPort;

    @Test
    void slowReaderSlowsTheWriterInsteadOfFillingMemory() throws Exception {
        byte[] hello = Hellos.captured("go.bin");
        long total = 256L << 20;
        AtomicLong written = new AtomicLong();
        try (Origin raw = Origin.raw(s -> {
            s.getInputStream().readNBytes(hello.length);
            OutputStream counting = new java.io.FilterOutputStream(s.getOutputStream()) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    written.addAndGet(len);
                }
            };
            Clients.send(counting, total, 5);
            s.shutdownOutput();
            s.getInputStream().read();
        })) {
            proxy.route("proxy.golang.org:443", raw.port());
            gw = RunningGateway.start(config(proxyUrl(proxy.port()), ""), dir);
            try (Socket s = Clients.tcp(gw.port())) {
                s.getOutputStream().write(hello);
                // not reading: the origin must stall once the buffers along the way are full
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                        .pollInterval(java.time.Duration.ofMillis(300))
                        .until(() -> {
                            long before = written.get();
                            Thread.sleep(300);
                            return before > 0 && written.get() == before;
                        });
                long stalledAt = written.get();
                assertThat(stalledAt).as("bytes the origin could write to a client that reads nothing")
                        .isLessThan(64L << 20);
                assertThat(Clients.receive(s.getInputStream(), total))
                        .isEqualTo(Clients.send(OutputStream.nullOutputStream(), total, 5));
            }
        }
    }

    @Test
    void otherClientsAreServedWhileOneStallsMidHello() throws Exception {
        gw = RunningGateway.start(config(proxyUrl(proxy.port()), "").replace("client_hello: 500ms",
                "client_hello: 3s"), dir);
        try (Socket staller = Clients.tcp(gw.port())) {
            staller.getOutputStream().write(Hellos.captured("go.bin"), 0, 30);
            staller.getOutputStream().flush();
            roundTrip(gw.port());
            assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
        }
    }

    /** One small exchange through the gateway, asserted both ways. */
    void roundTrip(int port) throws Exception {
        try (SSLSocket tls = Clients.tls(Clients.tcp(port), "proxy.golang.org")) {
            tls.getOutputStream().write("UP 65536\n".getBytes(StandardCharsets.US_ASCII));
            String sent = Clients.send(tls.getOutputStream(), 65536, 3);
            assertThat(Clients.readLine(tls.getInputStream())).isEqualTo(sent);
        }
    }

    /**
     * A client that sent more after its hello (early data, or anything) still reads the alert: the gateway ends with
     * a FIN and drops what comes until the client's own, where a close with bytes unread would reset at once; and a
     * client that never closes is let go at the alert's bound.
     */
    @Test
    void aRefusedClientThatSentMoreAfterItsHelloStillReadsTheAlert() throws Exception {
        String yaml = """
                listeners: [{ name: inside, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                rules: [{ name: nothing, action: reject }]
                """;
        gw = RunningGateway.start(yaml, dir);
        try (Socket s = Clients.tcp(gw.port())) {
            byte[] early = new byte[48 * 1024]; // application-data records, as TLS 1.3 early data would be
            for (int i = 0; i + 5 <= early.length; i += 1024) {
                early[i] = 23;
                early[i + 1] = 3;
                early[i + 2] = 3;
                early[i + 3] = (byte) (1019 >> 8);
                early[i + 4] = (byte) 1019;
            }
            s.getOutputStream().write(Hellos.captured("curl.bin"));
            s.getOutputStream().write(early);
            s.getOutputStream().flush();
            Refused.assertToldPromptly(s, "access_denied");
            // this client never closes its side: the gateway does not wait for it longer than the alert's bound
            long start = System.nanoTime();
            String line = gw.awaitLine(0);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
            assertThat(field(line, "outcome")).isEqualTo("rejected");
            assertThat(field(line, "error")).isEqualTo("rule 'nothing' rejects");
        }
    }

    static void assertNoPasswordIn(String text) {
        assertThat(text).doesNotContain(PASSWORD)
                .doesNotContain(Base64.getEncoder().encodeToString(("gateway:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }
}
