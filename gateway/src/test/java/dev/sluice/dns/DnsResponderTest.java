package dev.sluice.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.RunningGateway;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DNS responder over real UDP and TCP sockets on loopback, against a resolver in the JVM that answers,
 * stays silent or sends garbage: what a client is told for each kind of question, and the bounds.
 */
class DnsResponderTest {
    static final InetAddress CLIENT = loopback(1);
    static final InetAddress OTHER_CLIENT = loopback(2);
    static final InetAddress STRANGER = loopback(9);

    @TempDir
    Path dir;
    FakeResolver resolver;
    RunningGateway gw;
    int dnsPort;

    static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    RunningGateway start(FakeResolver.Mode mode, String dnsExtra) throws Exception {
        resolver = new FakeResolver(mode);
        dnsPort = GatewayProcess.freePort();
        gw = RunningGateway.start("""
                listeners:
                  - { listen: 127.0.0.1:0 }
                clients: [127.0.0.1/32, 127.0.0.2/32]
                upstreams: { corp: { proxies: [http://127.0.0.1:1] } }
                rules:
                  - { name: go, sni: [proxy.golang.org, .flood.test], action: splice, upstream: corp }
                  - { name: blocked, sni: [blocked.test], action: reject }
                  - { name: default, action: reject }
                dns:
                  listen: [127.0.0.1:%d]
                  forward: [127.0.0.1:%d]
                  state_dir: %s
                %s""".formatted(dnsPort, resolver.port(), dir.resolve("state"), dnsExtra), dir);
        return gw;
    }

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (resolver != null) {
            resolver.close();
        }
    }

    byte[] ask(InetAddress from, byte[] query) throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(from, 0))) {
            s.setSoTimeout(6000);
            s.send(new DatagramPacket(query, query.length, new InetSocketAddress(CLIENT, dnsPort)));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            s.receive(p);
            return Arrays.copyOf(p.getData(), p.getLength());
        }
    }

    byte[] ask(byte[] query) throws Exception {
        return ask(CLIENT, query);
    }

    byte[] askTcp(byte[] query) throws Exception {
        try (Socket s = new Socket(CLIENT, dnsPort)) {
            s.setSoTimeout(6000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(query.length);
            out.write(query);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] a = new byte[in.readUnsignedShort()];
            in.readFully(a);
            return a;
        }
    }

    @Test
    void claimedNameGetsOneSyntheticAddressPerFamilyStableWhileInUse() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        byte[] a = ask(DnsWire.query(0x1234, "proxy.golang.org", DnsWire.A, true));
        assertThat(DnsWire.id(a)).isEqualTo(0x1234);
        assertThat(DnsWire.rcode(a)).isZero();
        DnsWire.Answer first = DnsWire.firstAnswer(a);
        assertThat(first.address().getHostAddress()).isEqualTo("198.18.0.1");
        assertThat(first.ttl()).isEqualTo(60);
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(2, "PROXY.golang.org", DnsWire.A, false))).address())
                .isEqualTo(first.address());
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(3, "proxy.golang.org", DnsWire.AAAA, true))).address()
                .getHostAddress()).isEqualTo("fdec:5c:0:0:0:0:0:1");
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(4, "x.flood.test", DnsWire.A, false))).address()
                .getHostAddress()).isEqualTo("198.18.0.2");
        assertThat(gw.gateway.synthetic().nameOf(first.address())).isEqualTo("proxy.golang.org");
        assertThat(resolver.udpQueries).isEmpty();
    }

    @Test
    void httpsAndOtherTypesOfClaimedNamesHaveNoDataSoNoEchConfiguration() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        byte[] a = ask(DnsWire.query(7, "proxy.golang.org", DnsWire.HTTPS, true));
        assertThat(DnsWire.rcode(a)).isZero();
        assertThat(DnsWire.answers(a)).isZero();
        assertThat(DnsWire.rcode(ask(DnsWire.query(8, "proxy.golang.org", 16, false)))).isZero(); // TXT
        assertThat(resolver.udpQueries).isEmpty();
    }

    @Test
    void otherNamesAreForwardedAndTheAnswerPassesBackUnchangedButForTheId() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        byte[] q = DnsWire.query(0x4242, "wiki.corp.test", DnsWire.A, false);
        byte[] a = ask(q);
        assertThat(resolver.udpQueries).hasSize(1);
        byte[] asked = resolver.udpQueries.get(0);
        assertThat(Arrays.copyOfRange(asked, 2, asked.length)).isEqualTo(Arrays.copyOfRange(q, 2, q.length));
        byte[] expected = FakeResolver.answer(q);
        assertThat(a).isEqualTo(expected);
        // a name a reject rule names is forwarded too (dns.rejected defaults to forward)
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(5, "blocked.test", DnsWire.A, false))).address()
                .getHostAddress()).isEqualTo("10.9.8.7");
    }

    @Test
    void rejectedNamesGetNxdomainWhenConfigured() throws Exception {
        start(FakeResolver.Mode.ANSWER, "  rejected: nxdomain\n");
        byte[] a = ask(DnsWire.query(5, "blocked.test", DnsWire.A, false));
        assertThat(DnsWire.rcode(a)).isEqualTo(DnsMessages.NXDOMAIN);
        assertThat(resolver.udpQueries).isEmpty();
    }

    @Test
    void strangersAreRefused() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        byte[] a = ask(STRANGER, DnsWire.query(9, "proxy.golang.org", DnsWire.A, false));
        assertThat(DnsWire.rcode(a)).isEqualTo(DnsMessages.REFUSED);
        assertThat(DnsWire.answers(a)).isZero();
        assertThat(resolver.udpQueries).isEmpty();
    }

    @Test
    void malformedQueriesGetFormerrAndShortOnesNothing() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        // a name that points at itself: a compression loop
        byte[] loop = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
        assertThat(DnsWire.rcode(ask(loop))).isEqualTo(DnsMessages.FORMERR);
        // 255 bytes of name on the wire, the most DNS allows (253 characters): a name like any other (forwarded);
        // one byte more is no name
        String longest = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
        assertThat(DnsWire.rcode(ask(DnsWire.query(3, longest, DnsWire.A, false)))).isZero();
        assertThat(resolver.udpQueries).hasSize(1);
        assertThat(DnsWire.rcode(ask(DnsWire.query(3, longest + "d", DnsWire.A, false))))
                .isEqualTo(DnsMessages.FORMERR);
        byte[] twoQuestions = DnsWire.query(4, "a.test", DnsWire.A, false);
        twoQuestions[5] = 2;
        assertThat(DnsWire.rcode(ask(twoQuestions))).isEqualTo(DnsMessages.FORMERR);
        byte[] notify = DnsWire.query(6, "a.test", DnsWire.A, false);
        notify[2] = (byte) (4 << 3); // opcode NOTIFY
        assertThat(DnsWire.rcode(ask(notify))).isEqualTo(DnsMessages.NOTIMP);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(CLIENT, 0))) {
            s.setSoTimeout(500);
            s.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, new InetSocketAddress(CLIENT, dnsPort)));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            org.junit.jupiter.api.Assertions.assertThrows(SocketTimeoutException.class, () -> s.receive(p));
        }
        assertThat(DnsWire.rcode(ask(DnsWire.query(5, "proxy.golang.org", DnsWire.A, false)))).isZero();
        assertThat(resolver.udpQueries).hasSize(1);
    }

    @Test
    void aSilentResolverMakesWayForTheNextThenServfail() throws Exception {
        try (FakeResolver good = new FakeResolver(FakeResolver.Mode.ANSWER)) {
            start(FakeResolver.Mode.SILENT, "");
            long t0 = System.nanoTime();
            byte[] a = ask(DnsWire.query(11, "wiki.corp.test", DnsWire.A, false));
            assertThat(DnsWire.rcode(a)).isEqualTo(DnsMessages.SERVFAIL);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(1900),
                    Duration.ofMillis(4000));
            gw.close();
            gw = null;
            resolver.close();
            resolver = new FakeResolver(FakeResolver.Mode.SILENT);
            dnsPort = GatewayProcess.freePort();
            gw = RunningGateway.start("""
                    listeners: [{ listen: 127.0.0.1:0 }]
                    clients: [127.0.0.1/32]
                    rules: [{ name: default, action: reject }]
                    dns: { listen: [127.0.0.1:%d], forward: [127.0.0.1:%d, 127.0.0.1:%d], state_dir: %s }
                    """.formatted(dnsPort, resolver.port(), good.port(), dir.resolve("s2")), dir);
            byte[] b = ask(DnsWire.query(12, "wiki.corp.test", DnsWire.A, false));
            assertThat(DnsWire.rcode(b)).isZero();
            assertThat(DnsWire.firstAnswer(b).address().getHostAddress()).isEqualTo("10.9.8.7");
        }
    }

    @Test
    void garbageFromTheResolverIsDroppedAndTheClientGetsServfail() throws Exception {
        start(FakeResolver.Mode.GARBAGE, "");
        byte[] a = ask(DnsWire.query(13, "wiki.corp.test", DnsWire.A, false));
        assertThat(DnsWire.rcode(a)).isEqualTo(DnsMessages.SERVFAIL);
        assertThat(DnsWire.id(a)).isEqualTo(13);
    }

    @Test
    void aFullTableRefusesNewNamesWithServfailAndKeepsTheOld() throws Exception {
        start(FakeResolver.Mode.ANSWER, "  limits: { names: 16 }\n");
        InetAddress first = DnsWire.firstAnswer(ask(DnsWire.query(1, "n0.flood.test", DnsWire.A, false))).address();
        for (int i = 1; i < 16; i++) {
            assertThat(DnsWire.rcode(ask(DnsWire.query(1, "n" + i + ".flood.test", DnsWire.A, false)))).isZero();
        }
        assertThat(DnsWire.rcode(ask(DnsWire.query(1, "n16.flood.test", DnsWire.A, false))))
                .isEqualTo(DnsMessages.SERVFAIL);
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(1, "n0.flood.test", DnsWire.A, false))).address())
                .isEqualTo(first);
        assertThat(gw.gateway.synthetic().size()).isEqualTo(16);
    }

    @Test
    void aFloodingClientIsRateLimitedAndOthersAreNot() throws Exception {
        start(FakeResolver.Mode.ANSWER, "  limits: { client_qps: 20 }\n");
        int refused = 0;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(OTHER_CLIENT, 0))) {
            s.setSoTimeout(2000);
            byte[] q = DnsWire.query(1, "proxy.golang.org", DnsWire.A, false);
            for (int i = 0; i < 200; i++) {
                s.send(new DatagramPacket(q, q.length, new InetSocketAddress(CLIENT, dnsPort)));
            }
            for (int i = 0; i < 200; i++) {
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                s.receive(p);
                refused += DnsWire.rcode(p.getData()) == DnsMessages.REFUSED ? 1 : 0;
            }
        }
        assertThat(refused).isBetween(150, 185);
        assertThat(DnsWire.rcode(ask(DnsWire.query(2, "proxy.golang.org", DnsWire.A, false)))).isZero();
    }

    @Test
    void tcpQuestionsAreAnsweredAndForwardedOverTcp() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        byte[] a = askTcp(DnsWire.query(21, "proxy.golang.org", DnsWire.A, true));
        assertThat(DnsWire.firstAnswer(a).address().getHostAddress()).isEqualTo("198.18.0.1");
        byte[] q = DnsWire.query(22, "wiki.corp.test", DnsWire.A, false);
        assertThat(askTcp(q)).isEqualTo(FakeResolver.answer(q));
        assertThat(resolver.tcpQueries).hasSize(1);
        assertThat(resolver.udpQueries).isEmpty();
    }

    @Test
    void theTableSurvivesARestart() throws Exception {
        start(FakeResolver.Mode.ANSWER, "");
        InetAddress b = null;
        ask(DnsWire.query(1, "a.flood.test", DnsWire.A, false));
        b = DnsWire.firstAnswer(ask(DnsWire.query(1, "b.flood.test", DnsWire.A, false))).address();
        gw.close();
        assertThat(Files.readString(dir.resolve("state").resolve("dns-names"))).contains("b.flood.test");
        int port = dnsPort;
        gw = null;
        resolver.close();
        resolver = null;
        start(FakeResolver.Mode.ANSWER, "");
        assertThat(dnsPort).isNotEqualTo(port);
        InetAddress kept = b;
        await().atMost(Duration.ofSeconds(5)).until(() -> "b.flood.test".equals(gw.gateway.synthetic().nameOf(kept)));
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(1, "b.flood.test", DnsWire.A, false))).address())
                .isEqualTo(b);
        assertThat(DnsWire.firstAnswer(ask(DnsWire.query(1, "c.flood.test", DnsWire.A, false))).address()
                .getHostAddress()).isEqualTo("198.18.0.3");
    }
}
