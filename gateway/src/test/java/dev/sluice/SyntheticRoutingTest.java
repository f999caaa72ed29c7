package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.sluice.dns.DnsWireAccess;
import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.HttpProxyFake;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection to a synthetic address, routed by the name the DNS responder gave it, without iptables: the
 * synthetic IPv4 range is put inside 127/8 and the listeners are {@code transparent: tproxy} bound to addresses of
 * that range, so the accepted socket's own address (what TPROXY's original destination is) is the synthetic
 * address the client dialled. IP_TRANSPARENT needs CAP_NET_ADMIN: root, as CI runs.
 */
class SyntheticRoutingTest {
    @TempDir
    Path dir;

    /**
     * {@code listeners} (YAML list items), a splice rule for {@code name} through the proxy on {@code proxyPort},
     * and the DNS responder on {@code dnsPort} with its IPv4 range inside 127/8.
     */
    String config(String listeners, String name, int proxyPort, int dnsPort) throws java.io.IOException {
        return """
                listeners:
                %s
                clients: [127.0.0.1/32]
                upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                rules:
                  - { name: allowed, sni: [%s], action: splice, upstream: corp }
                  - { name: default, action: reject }
                dns:
                  listen: [127.0.0.1:%d]
                  forward: [127.0.0.1:%d]
                  synthetic: { ipv4: 127.77.0.0/16 }
                  state_dir: %s
                """.formatted(listeners.indent(2).stripTrailing(), proxyPort, name, dnsPort, TestServer.closedPort(),
                dir.resolve("state"));
    }

    @Test
    void aServerSpeaksFirstProtocolIsCarriedByTheTablesNameAndAnUnknownAddressIsRefused() throws Exception {
        assumeThat(System.getProperty("user.name")).as("IP_TRANSPARENT needs CAP_NET_ADMIN").isEqualTo("root");
        int dnsPort = GatewayProcess.freePort();
        try (Origin ssh = Origin.raw(s -> {
                OutputStream out = s.getOutputStream();
                out.write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII)); // the server speaks first
                out.flush();
                String line = Clients.readLine(s.getInputStream());
                out.write(("echo " + line + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
             FakeProxy proxy = new FakeProxy();
             RunningGateway gw = RunningGateway.start(config("""
                     - { name: held, listen: 127.77.0.1:0, transparent: tproxy }
                     - { name: unknown, listen: 127.77.0.9:0, transparent: tproxy }
                     """, "git.example.test", proxy.port(), dnsPort), dir)) {
            InetAddress given = DnsWireAccess.askA(dnsPort, "git.example.test");
            assertThat(given.getHostAddress()).isEqualTo("127.77.0.1");
            int port = gw.port(0);
            proxy.route("git.example.test:" + port, ssh.port());
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                s.connect(new InetSocketAddress(given, port), 2000);
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                assertThat(Clients.readLine(in)).isEqualTo("SSH-2.0-OpenSSH_9.2\r"); // before we sent a byte
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(Clients.readLine(in)).isEqualTo("echo hello");
            }
            String line = gw.awaitLine(l -> "held".equals(RunningGateway.field(l, "listener")));
            assertThat(RunningGateway.field(line, "name")).isEqualTo("git.example.test");
            assertThat(RunningGateway.field(line, "name_from")).isEqualTo("dns");
            assertThat(RunningGateway.field(line, "sni")).isNull();
            assertThat(RunningGateway.field(line, "dst")).isEqualTo("127.77.0.1:" + port);
            assertThat(RunningGateway.field(line, "target")).isEqualTo("git.example.test:" + port);
            assertThat(RunningGateway.field(line, "outcome")).isEqualTo("ok");
            assertThat(proxy.requests).anyMatch(r -> r.startsWith("CONNECT git.example.test:" + port + " "));

            int unknownPort = gw.port(1);
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                s.connect(new InetSocketAddress(InetAddress.getByName("127.77.0.9"), unknownPort), 2000);
                s.setSoTimeout(5000);
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            } catch (java.net.SocketException reset) {
                // a reset: what the gateway does to a connection it cannot route
            }
            String refused = gw.awaitLine(l -> "unknown".equals(RunningGateway.field(l, "listener")));
            assertThat(RunningGateway.field(refused, "outcome")).isEqualTo("rejected");
            assertThat(RunningGateway.field(refused, "error"))
                    .isEqualTo("synthetic address 127.77.0.9 stands for no name in the DNS table (given out before "
                            + "the table was lost?)");
            assertThat(proxy.requests).hasSize(1);
        }
    }

    @Test
    void plainHttpWithoutHostGoesByTheTablesName() throws Exception {
        assumeThat(System.getProperty("user.name")).as("IP_TRANSPARENT needs CAP_NET_ADMIN").isEqualTo("root");
        int dnsPort = GatewayProcess.freePort();
        try (HttpProxyFake proxy = new HttpProxyFake();
             RunningGateway gw = RunningGateway.start(config("""
                     - { name: web, listen: 127.77.0.1:0, transparent: tproxy, peek: http }
                     """, "deb.example.test", proxy.port(), dnsPort), dir)) {
            InetAddress given = DnsWireAccess.askA(dnsPort, "deb.example.test");
            assertThat(given.getHostAddress()).isEqualTo("127.77.0.1");
            int port = gw.port(0);
            String answer;
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                s.connect(new InetSocketAddress(given, port), 2000);
                s.setSoTimeout(5000);
                // HTTP/1.0 may leave Host out: the name is the one the DNS table holds for the address dialled
                s.getOutputStream().write("GET /x HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            }
            assertThat(answer).startsWith("HTTP/1.0 200 OK");
            assertThat(proxy.received).hasSize(1);
            assertThat(proxy.received.get(0).requestLine())
                    .isEqualTo("GET http://deb.example.test:" + port + "/x HTTP/1.1");
            assertThat(proxy.received.get(0).field("Host")).isEqualTo("deb.example.test:" + port);
            String line = gw.awaitLine(l -> l.contains("\"method\""));
            assertThat(RunningGateway.field(line, "host")).isEqualTo("deb.example.test");
            String conn = gw.awaitLine(l -> !l.contains("\"method\""));
            assertThat(RunningGateway.field(conn, "name_from")).isEqualTo("dns");
        }
    }
}
