package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.Refused;
import dev.sluice.testing.RunningGateway;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Never an open proxy, never a loop: a client outside {@code clients} causes no outbound connection at all, and a
 * client-chosen destination on the gateway's own host (its listeners, its admin listener, {@code localhost})
 * gets no tunnel unless a rule names it, and the gateway's own services not even then. Each case has a control
 * that shows the same gateway does connect when it may, so the zero counts mean something. (Original
 * destinations that point at the gateway, loopback or link-local need iptables: e2e/run's loop-safety case;
 * the address classes: {@code LocalTargetsTest}.)
 */
@ExtendWith(NettyLeaks.class)
class LoopSafetyTest {
    @TempDir
    Path dir;
    RunningGateway gw;
    FakeProxy proxy;
    Origin origin;

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.raw(s -> {
            s.getInputStream().readNBytes(5);
            s.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getInputStream().read();
        });
        proxy = new FakeProxy().route("a.test.example:" + origin.port(), origin.port());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        proxy.close();
        origin.close();
    }

    /** What a refused TLS client of these tests reads: the hellos of {@link Hellos} come in 3.1 records. */
    static final String ACCESS_DENIED = "fatal access_denied (record 3.1), then EOF";

    /**
     * Connects from {@code from} (an address of 127/8), sends {@code bytes}, and checks what it reads until the
     * gateway closes ({@link Refused#told}).
     */
    static void attempt(String from, int port, byte[] bytes, String told) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(5000);
                s.getOutputStream().write(bytes);
                s.getOutputStream().flush();
            } catch (java.net.SocketException e) {
                // reset already (even before connect returned): the gateway did not wait for the bytes
                assertThat(e.getMessage()).contains("reset");
                return;
            }
            assertThat(Refused.told(s)).isEqualTo(told);
        }
    }

    /** A tunnel that should be made: the origin's "pong" comes back. */
    static void tunnel(int port, String name) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(Hellos.withServerName(name));
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("pong");
        }
    }

    @Test
    void aClientOutsideTheRangesNeverCausesAnOutboundConnection() throws Exception {
        gw = RunningGateway.start("""
                listeners:
                  - { name: https, listen: 127.0.0.1:0, default_port: %d }
                clients: [127.0.0.1/32]
                upstreams:
                  corp: { proxies: [http://127.0.0.1:%d] }
                rules:
                  - { name: go, sni: [.test.example], action: splice, upstream: corp }
                  - { name: local, sni: [localhost], action: direct }
                  - { name: rest, action: splice, upstream: corp }
                """.formatted(origin.port(), proxy.port()), dir);
        // control: from inside the range both rules do connect
        tunnel(gw.port(), "a.test.example");
        tunnel(gw.port(), "localhost");
        assertThat(gw.awaitLine(1)).contains("\"outcome\":\"ok\"");
        long proxyBefore = proxy.accepted();
        long originBefore = origin.accepted();
        assertThat(proxyBefore).isEqualTo(1);
        assertThat(originBefore).isEqualTo(2);

        byte[][] tries = {Hellos.withServerName("a.test.example"), Hellos.withServerName("localhost"),
            Hellos.withServerName("anything.else"), Hellos.captured("openssl-nosni.bin"),
            "CONNECT a.test.example:443 HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)};
        for (byte[] t : tries) {
            attempt("127.0.0.2", gw.port(), t, "reset"); // a client outside the ranges is told nothing
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.accessLog.size() == 2 + tries.length);
        assertThat(gw.accessLog.stream().filter(l -> field(l, "client").startsWith("127.0.0.2"))).hasSize(tries.length)
                .allSatisfy(line -> {
                    assertThat(field(line, "outcome")).isEqualTo("denied_client");
                    assertThat(field(line, "error")).isEqualTo("client 127.0.0.2 is not in the configured client ranges");
                });
        // the gateway read nothing and dialled nothing for them
        assertThat(proxy.accepted()).isEqualTo(proxyBefore);
        assertThat(origin.accepted()).isEqualTo(originBefore);
        assertThat(proxy.requests).hasSize(1);
        assertThat(gw.accessLog).hasSize(2 + tries.length);
    }

    @Test
    void localhostGoesNowhereByACatchAllRule() throws Exception {
        gw = RunningGateway.start("""
                listeners:
                  - { name: spliced, listen: 127.0.0.1:0, default_port: 443 }
                  - { name: direct, listen: 127.0.0.1:0, default_port: %1$d }
                clients: [127.0.0.0/8]
                upstreams:
                  corp: { proxies: [http://127.0.0.1:%2$d] }
                rules:
                  - { name: to-proxy, ports: [443], action: splice, upstream: corp }
                  - { name: anything, action: direct }
                """.formatted(origin.port(), proxy.port()), dir);
        proxy.route("a.test.example:443", origin.port());
        // control: a catch-all splice does CONNECT an ordinary name
        tunnel(gw.port(0), "a.test.example");
        assertThat(proxy.requests).hasSize(1);
        String[] names = {"localhost", "LOCALHOST.", "api.localhost"};
        for (int listener = 0; listener < 2; listener++) {
            for (String name : names) {
                attempt("127.0.0.1", gw.port(listener), Hellos.withServerName(name), ACCESS_DENIED);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.accessLog.size() == 1 + 2 * names.length);
        for (String name : names) {
            String normal = dev.sluice.net.HostName.normalize(name);
            assertThat(gw.accessLog.stream().filter(l -> name.equals(field(l, "sni")))).as(name).hasSize(2)
                    .allSatisfy(line -> {
                        assertThat(field(line, "outcome")).as(line).isEqualTo("rejected");
                        assertThat(field(line, "error")).isEqualTo("refused: server name " + normal
                                + " is this host (loopback, RFC 6761)");
                    });
        }
        assertThat(proxy.accepted()).isEqualTo(1);
        assertThat(origin.accepted()).isEqualTo(1);
    }

    @Test
    void aRuleThatNamesLocalhostStillNeverReachesTheGatewaysOwnListenerOrAdmin() throws Exception {
        int self = GatewayProcess.freePort();
        int admin = GatewayProcess.freePort();
        int wild = GatewayProcess.freePort();
        gw = RunningGateway.start("""
                listeners:
                  - { name: https, listen: 127.0.0.1:%1$d, default_port: %1$d }
                  - { name: to-admin, listen: 127.0.0.1:0, default_port: %2$d }
                  - { name: to-origin, listen: 127.0.0.1:0, default_port: %3$d }
                  - { name: wildcard, listen: 0.0.0.0:%4$d, default_port: %4$d }
                clients: [127.0.0.0/8]
                admin: { listen: 127.0.0.1:%2$d }
                rules:
                  - { name: local, sni: [localhost], action: direct }
                """.formatted(self, admin, origin.port(), wild), dir);
        // control: the rule does take localhost to a local port that is not the gateway's
        tunnel(gw.port(2), "localhost");
        attempt("127.0.0.1", gw.port(0), Hellos.withServerName("localhost"), ACCESS_DENIED);
        attempt("127.0.0.1", gw.port(1), Hellos.withServerName("localhost"), ACCESS_DENIED);
        attempt("127.0.0.1", wild, Hellos.withServerName("localhost"), ACCESS_DENIED); // 127.0.0.1:wild reaches 0.0.0.0:wild
        String loop = gw.awaitLine(l -> "https".equals(field(l, "listener")));
        assertThat(field(loop, "outcome")).isEqualTo("rejected");
        assertThat(field(loop, "error")).isEqualTo("refused: 127.0.0.1:" + self
                + " is the gateway's own listener (a loop)");
        String toAdmin = gw.awaitLine(l -> "to-admin".equals(field(l, "listener")));
        assertThat(field(toAdmin, "outcome")).isEqualTo("rejected");
        assertThat(field(toAdmin, "error")).isEqualTo("refused: 127.0.0.1:" + admin
                + " is the gateway's admin listener");
        String toWildcard = gw.awaitLine(l -> "wildcard".equals(field(l, "listener")));
        assertThat(field(toWildcard, "outcome")).isEqualTo("rejected");
        assertThat(field(toWildcard, "error")).isEqualTo("refused: 127.0.0.1:" + wild
                + " is the gateway's own listener (a loop)");
        // no second connection came back in: one line per client connection, none open
        await().atMost(Duration.ofSeconds(5)).until(() -> gw.gateway.connections() == 0);
        assertThat(gw.accessLog).hasSize(4);
        assertThat(origin.accepted()).isEqualTo(1);
    }
}
