package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.Pki;
import dev.sluice.testing.Refused;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every access-log outcome, each provoked for real over loopback. Refusals must reach the client within a time
 * bound: after a ClientHello, as a fatal TLS alert that a real JDK client reports by name; before one, or for a
 * client outside {@code clients}, as a bare reset. Each leaves exactly one access-log line saying why, and the
 * gateway serving others.
 */
@ExtendWith(NettyLeaks.class)
class OutcomesTest {
    @TempDir
    Path dir;
    Origin origin;
    FakeProxy proxy;
    RunningGateway gw;

    /** What the client does in a case; returns what it saw (its error, or what {@link Refused#told} says). */
    interface ClientAction {
        String run(Socket s) throws Exception;
    }

    /** How the proxy is set up in a case. */
    interface ProxySetup {
        void apply(FakeProxy p);
    }

    /** {@code told}: what the client must have seen (a part of it). */
    record Case(String name, String clients, ProxySetup proxySetup, boolean deadProxy, ClientAction client,
                String told, String outcome, String error) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final ProxySetup WORKS = p -> { };
    static final String RESET = "reset";

    /** What a JDK TLS client says when the gateway refuses it with a fatal {@code alert}. */
    static String alert(String alert) {
        return "Received fatal alert: " + alert;
    }

    /** Raw bytes, then what came back. */
    static ClientAction send(byte[] bytes) {
        return s -> {
            try {
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
            } catch (SocketException e) {
                // a refusal at accept (denied_client) may reset the connection before the hello is even written
                return String.valueOf(e.getMessage()).contains("reset") ? RESET : e.getMessage();
            }
            return Refused.told(s);
        };
    }

    static ClientAction sendHello(String fixture) throws IOException {
        return send(Hellos.captured(fixture));
    }

    /** The fixture's hello with TLS 1.2 (3.3) in its record header, as the JDK sends it. */
    static byte[] inRecordVersion33(String fixture) throws IOException {
        byte[] hello = Hellos.captured(fixture);
        hello[2] = 3;
        return hello;
    }

    /** A real JDK TLS client with SNI {@code name} (null: none); returns what its handshake failed with. */
    static ClientAction tlsClient(String name) {
        return s -> {
            SSLSocket tls = (SSLSocket) Pki.client().getSocketFactory().createSocket(s,
                    name == null ? "127.0.0.1" : name, 443, false);
            SSLParameters p = tls.getSSLParameters();
            p.setServerNames(name == null ? List.of() : List.of(new SNIHostName(name)));
            tls.setSSLParameters(p);
            try {
                tls.startHandshake();
                return "the handshake completed";
            } catch (IOException e) {
                return e.getMessage(); // an SSLException for an alert, a SocketException for a reset
            }
        };
    }

    static Stream<Arguments> cases() throws IOException {
        byte[] malformed = Hellos.captured("go.bin");
        malformed[5] = 2;
        return Stream.of(
                new Case("denied_client: outside the client ranges", "[10.0.0.0/8]", WORKS, false,
                        sendHello("go.bin"), RESET, "denied_client", "client 127.0.0.1 is not in the configured client ranges"),
                new Case("denied_client: a TLS client is reset too, told nothing", "[10.0.0.0/8]", WORKS, false,
                        tlsClient("proxy.golang.org"), "Connection reset", "denied_client",
                        "client 127.0.0.1 is not in the configured client ranges"),
                new Case("rejected: no rule matches", null, WORKS, false,
                        tlsClient("repo.maven.apache.org"), alert("access_denied"), "rejected", "no rule matched"),
                new Case("rejected: a reject rule", null, WORKS, false,
                        tlsClient("www.example.com"), alert("access_denied"), "rejected", "rule 'blocked' rejects"),
                new Case("rejected: a reject rule, the alert's bytes", null, WORKS, false,
                        sendHello("chromium.bin"), "fatal access_denied (record 3.1), then EOF", "rejected",
                        "rule 'blocked' rejects"),
                new Case("rejected: to the gateway's own host (localhost) by a rule without sni", null, WORKS, false,
                        tlsClient("sub.localhost"), alert("access_denied"), "rejected",
                        "refused: server name sub.localhost is this host (loopback, RFC 6761)"),
                new Case("rejected: no SNI and no original destination", null, WORKS, false,
                        tlsClient(null), alert("unrecognized_name"), "rejected", "nowhere to send it"),
                new Case("rejected: no SNI, the alert's bytes", null, WORKS, false,
                        sendHello("openssl-nosni.bin"), "fatal unrecognized_name (record 3.1), then EOF", "rejected",
                        "nowhere to send it"),
                new Case("bad_hello: plain HTTP", null, WORKS, false,
                        send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes()), RESET,
                        "bad_hello", "not TLS: first byte 0x47 ('G')"),
                new Case("bad_hello: malformed ClientHello", null, WORKS, false, send(malformed), RESET, "bad_hello",
                        "not ClientHello"),
                new Case("bad_hello: oversized ClientHello", null, WORKS, false,
                        send(new byte[] {22, 3, 1, 0x40, 0, 1, 0x01, 0x11, 0x70}), RESET,
                        "bad_hello", "exceeds the limit of 65536"),
                new Case("hello_timeout: stalls mid-hello", null, WORKS, false,
                        send(Arrays.copyOf(Hellos.captured("go.bin"), 40)), RESET,
                        "hello_timeout", "no complete ClientHello after 500 ms (40 bytes received)"),
                new Case("proxy_auth_failed: 407 to the right user with the wrong password", null,
                        p -> p.requireAuth("gateway", "other"), false, tlsClient("proxy.golang.org"),
                        alert("internal_error"), "proxy_auth_failed",
                        "proxy rejected the basic credentials of gateway (407 to them)"),
                new Case("proxy_denied: 403 is the proxy's policy, final", null, p -> p.answer("403 Forbidden"), false,
                        tlsClient("proxy.golang.org"), alert("access_denied"), "proxy_denied", "403 Forbidden"),
                new Case("proxy_error: 503", null, p -> p.answer("503 Service Unavailable"), false,
                        tlsClient("proxy.golang.org"), alert("internal_error"), "proxy_error",
                        "503 Service Unavailable"),
                new Case("proxy_error: 503, the alert's bytes in the hello's record version 3.3", null,
                        p -> p.answer("503 Service Unavailable"), false, send(inRecordVersion33("go.bin")),
                        "fatal internal_error (record 3.3), then EOF", "proxy_error", "503 Service Unavailable"),
                new Case("proxy_error: proxy hangs", null, p -> p.mode(FakeProxy.Mode.HANG), false,
                        tlsClient("proxy.golang.org"), alert("internal_error"), "proxy_error",
                        "no answer to CONNECT within 500 ms"),
                new Case("proxy_error: proxy hangs up", null, p -> p.mode(FakeProxy.Mode.HANG_UP), false,
                        tlsClient("proxy.golang.org"), alert("internal_error"), "proxy_error",
                        "closed the connection without answering"),
                new Case("proxy_error: proxy talks nonsense", null, p -> p.mode(FakeProxy.Mode.GARBAGE), false,
                        tlsClient("proxy.golang.org"), alert("internal_error"), "proxy_error", "bad answer to CONNECT"),
                new Case("proxy_error: proxy drips its answer byte by byte", null, p -> p.mode(FakeProxy.Mode.DRIP),
                        false, tlsClient("proxy.golang.org"), alert("internal_error"), "proxy_error",
                        "no answer to CONNECT within 500 ms"),
                new Case("proxy_error: proxy closes mid-headers", null, p -> p.mode(FakeProxy.Mode.CLOSE_MID_HEADERS),
                        false, tlsClient("proxy.golang.org"), alert("internal_error"), "proxy_error",
                        "proxy closed the connection in the middle of its answer"),
                new Case("connect_error: proxy refuses", null, WORKS, true,
                        tlsClient("proxy.golang.org"), alert("internal_error"), "connect_error", "Connection refused")
        ).map(Arguments::of);
    }

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.tls(s -> {
            s.getOutputStream().write(s.getInputStream().read());
            s.getOutputStream().flush();
            while (s.getInputStream().read() >= 0) {
                // until the client is done
            }
        });
        proxy = new FakeProxy().route("proxy.golang.org:443", origin.port());
        Files.writeString(dir.resolve("proxy.pass"), "right\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        proxy.close();
        origin.close();
    }

    String config(String clients, int proxyPort, String idle) {
        return """
                listeners:
                  - { name: https, listen: 127.0.0.1:0 }
                  - { name: other, listen: 127.0.0.1:0, default_port: 4443 }
                clients: %s
                upstreams:
                  corp:
                    proxies: [http://127.0.0.1:%d]
                    auth: { username: gateway, password_file: proxy.pass }
                rules:
                  - { name: go, sni: [.golang.org, localhost], action: splice, upstream: corp }
                  - { name: blocked, sni: [www.example.com], action: reject }
                  - { name: by-address, ports: [4443], action: splice, upstream: corp }
                timeouts: { client_hello: 500ms, connect: 500ms, idle: %s }
                """.formatted(clients == null ? "[127.0.0.0/8]" : clients, proxyPort, idle);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outcome(Case c) throws Exception {
        proxy.requireAuth("gateway", "right");
        c.proxySetup().apply(proxy);
        int proxyPort = c.deadProxy() ? TestServer.closedPort() : proxy.port();
        gw = RunningGateway.start(config(c.clients(), proxyPort, "15m"), dir);
        long start = System.nanoTime();
        // the listener "other" (port 4443) is where the rule without sni is
        boolean other = c.name().contains("no SNI") || c.name().contains("without sni");
        try (Socket s = Clients.tcp(gw.port(other ? 1 : 0))) {
            assertThat(c.client().run(s)).as("what the client saw").contains(c.told());
        }
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms until the client was told").isLessThan(3000);
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).as(line).isEqualTo(c.outcome());
        assertThat(field(line, "error")).as(line).contains(c.error());
        Thread.sleep(100);
        assertThat(gw.accessLog).as("one line per connection").hasSize(1);
        // and the gateway still serves everyone else
        proxy.requireAuth("gateway", "right").mode(FakeProxy.Mode.WORK);
        if (c.clients() == null && !c.deadProxy()) {
            try (var tls = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
                tls.getOutputStream().write(42);
                tls.getOutputStream().flush();
                assertThat(tls.getInputStream().read()).isEqualTo(42);
            }
            assertThat(field(gw.awaitLine(1), "outcome")).isEqualTo("ok");
        }
    }

    @Test
    void idleTimeoutClosesASilentTunnel() throws Exception {
        proxy.requireAuth("gateway", "right");
        gw = RunningGateway.start(config(null, proxy.port(), "300ms"), dir);
        try (var tls = Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org")) {
            tls.getOutputStream().write(42);
            tls.getOutputStream().flush();
            assertThat(tls.getInputStream().read()).isEqualTo(42);
            long start = System.nanoTime();
            assertThat(readUntilClosed(tls.getInputStream())).isTrue();
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(250L, 3000L);
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("idle_timeout");
        assertThat(field(line, "error")).isEqualTo("no data in either direction for 300 ms");
    }

    @Test
    void resetByTheOriginMidTransferIsReported() throws Exception {
        proxy.requireAuth("gateway", "right");
        byte[] hello = Hellos.captured("go.bin");
        origin.close();
        try (Origin raw = Origin.raw(s -> {
            s.getInputStream().readNBytes(hello.length);
            s.getOutputStream().write(new byte[100_000]);
            s.getOutputStream().flush();
            s.setSoLinger(true, 0);
            s.close(); // RST
        })) {
            proxy.route("proxy.golang.org:443", raw.port());
            gw = RunningGateway.start(config(null, proxy.port(), "15m"), dir);
            try (Socket s = Clients.tcp(gw.port())) {
                s.getOutputStream().write(hello);
                readUntilClosed(s.getInputStream());
            }
            String line = gw.awaitLine(0);
            assertThat(field(line, "outcome")).isEqualTo("reset");
            assertThat(field(line, "error")).startsWith("upstream");
        }
    }

    @Test
    void clientGivingUpWhileTheProxyIsSlowIsReset() throws Exception {
        proxy.requireAuth("gateway", "right").mode(FakeProxy.Mode.HANG);
        gw = RunningGateway.start(config(null, proxy.port(), "15m").replace("connect: 500ms", "connect: 5s"), dir);
        try (Socket s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(Hellos.captured("go.bin"));
            s.getOutputStream().flush();
            org.awaitility.Awaitility.await().until(() -> !proxy.requests.isEmpty());
            s.setSoLinger(true, 0);
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("reset");
        assertThat(field(line, "error")).isEqualTo("client closed before the tunnel was up");
    }

    private static boolean readUntilClosed(InputStream in) {
        try {
            byte[] buf = new byte[8192];
            while (in.read(buf) >= 0) {
                // drain
            }
            return true;
        } catch (IOException e) {
            return true;
        }
    }
}
