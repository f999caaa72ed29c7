package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.dns.DnsWireAccess;
import dev.sluice.dns.PairPuller;
import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Json;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import dev.sluice.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Two gateways of a keepalived pair in this JVM, on loopback, each with its own DNS port, admin port and state
 * directory, pulling each other's name table every 200 ms ({@code dns.pair}): what the developers' clients get
 * from either box, and where a connection to an address one box gave out goes when only the other is left.
 * Routing by the table uses {@code tproxy} listeners inside the synthetic range, as {@link SyntheticRoutingTest}
 * does (root).
 */
class DnsPairTest {
    static final String NAME = "git.example.test";

    @TempDir
    Path dir;
    int[] admin = new int[3];
    int[] dnsPort = new int[3];
    RunningGateway one;
    RunningGateway two;
    final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void ports() throws IOException {
        // all four known before either box starts, each box's own sockets opened meanwhile: outside the range
        do {
            for (int i = 1; i <= 2; i++) {
                admin[i] = GatewayProcess.portOutsideEphemeralRange();
                dnsPort[i] = GatewayProcess.portOutsideEphemeralRange();
            }
        } while (java.util.stream.IntStream.of(admin[1], admin[2], dnsPort[1], dnsPort[2]).distinct().count() < 4);
        log.start();
        ((Logger) LoggerFactory.getLogger(PairPuller.class)).addAppender(log);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(PairPuller.class)).detachAppender(log);
        for (RunningGateway g : new RunningGateway[] {one, two}) {
            if (g != null) {
                g.close();
            }
        }
    }

    /** Box {@code half} (1 or 2) of the pair; its peer is the other one. */
    String config(int half, String listeners, int proxyPort, String synthetic) throws IOException {
        int peer = 3 - half;
        return """
                listeners:
                %s
                clients: [127.0.0.1/32]
                upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                rules:
                  - { name: allowed, sni: [.example.test], action: splice, upstream: corp }
                  - { name: default, action: reject }
                admin: { listen: 127.0.0.1:%d, clients: [127.0.0.1/32] }
                dns:
                  listen: [127.0.0.1:%d]
                  forward: [127.0.0.1:%d]
                  synthetic: { ipv4: %s }
                  state_dir: %s
                  pair: { peer: http://127.0.0.1:%d, half: %d, interval: 200ms }
                """.formatted(listeners.indent(2).stripTrailing(), proxyPort, admin[half], dnsPort[half],
                TestServer.closedPort(), synthetic, dir.resolve("state" + half), admin[peer], half);
    }

    RunningGateway box(int half, String listeners, int proxyPort) throws Exception {
        return RunningGateway.start(config(half, listeners, proxyPort, "127.77.0.0/16"), dir);
    }

    static String ask(int port, String name) throws Exception {
        return DnsWireAccess.askA(port, name).getHostAddress();
    }

    @Test
    void aNameEitherBoxAnsweredIsAnsweredAlikeByTheOtherWithinTheInterval() throws Exception {
        one = box(1, "- { listen: 127.0.0.1:0 }", 1);
        two = box(2, "- { listen: 127.0.0.1:0 }", 1);
        assertThat(ask(dnsPort[1], "a.example.test")).as("box 1 gives out 127.77.0.1, .3, .5 ...")
                .isEqualTo("127.77.0.1");
        assertThat(ask(dnsPort[2], "b.example.test")).as("box 2 gives out .2, .4, .6 ...").isEqualTo("127.77.0.2");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(two.gateway.synthetic().nameOf(InetAddress.getByName("127.77.0.1"))).isEqualTo("a.example.test");
            assertThat(one.gateway.synthetic().nameOf(InetAddress.getByName("127.77.0.2"))).isEqualTo("b.example.test");
        });
        assertThat(ask(dnsPort[2], "a.example.test")).isEqualTo("127.77.0.1");
        assertThat(ask(dnsPort[1], "b.example.test")).isEqualTo("127.77.0.2");
        assertThat(ask(dnsPort[1], "c.example.test")).isEqualTo("127.77.0.3");

        JsonNode pair = Json.object(get(admin[2], "/status.json", "127.0.0.1").split("\r\n\r\n", 2)[1]).get("dns_pair");
        assertThat(pair.get("peer").asString()).isEqualTo("http://127.0.0.1:" + admin[1]);
        assertThat(pair.get("half").asInt()).isEqualTo(2);
        assertThat(pair.get("problem").isNull()).isTrue();
        assertThat(pair.get("last_sync_age_ms").asLong()).isLessThan(5000);
        assertThat(get(admin[2], "/status", "127.0.0.1"))
                .contains("DNS pair: this box gives out half 2 of the synthetic addresses; peer http://127.0.0.1:"
                        + admin[1]);
        Metrics m = Metrics.scrape(admin[2]);
        assertThat(m.value("sluice_dns_pair_sync_total", "result", "ok")).isPositive();
        assertThat(m.value("sluice_dns_pair_sync_total", "result", "mismatch")).isZero();
        assertThat(m.value("sluice_dns_pair_sync_age_seconds")).isLessThan(5);
    }

    @Test
    void anAddressBoxOneGaveOutIsRoutedByBoxTwoToTheSameNameAfterBoxOneStops() throws Exception {
        assumeThat(System.getProperty("user.name")).as("IP_TRANSPARENT needs CAP_NET_ADMIN").isEqualTo("root");
        try (Origin ssh = Origin.raw(s -> {
                OutputStream out = s.getOutputStream();
                out.write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
             FakeProxy proxy = new FakeProxy()) {
            one = box(1, "- { name: lan, listen: 127.77.0.1:0, transparent: tproxy }", proxy.port());
            two = box(2, "- { name: lan, listen: 127.77.0.1:0, transparent: tproxy }", proxy.port());
            InetAddress given = DnsWireAccess.askA(dnsPort[1], NAME);
            assertThat(given.getHostAddress()).isEqualTo("127.77.0.1");
            await().atMost(Duration.ofSeconds(5)).until(() -> NAME.equals(two.gateway.synthetic().nameOf(given)));
            String peerOfTwo = "http://127.0.0.1:" + admin[1];
            long warnedBefore = lines("WARN", peerOfTwo);
            one.close();
            one = null;

            int port = two.port();
            proxy.route(NAME + ":" + port, ssh.port());
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                s.connect(new InetSocketAddress(given, port), 2000);
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                assertThat(Clients.readLine(in)).isEqualTo("SSH-2.0-OpenSSH_9.2\r");
            }
            String line = two.awaitLine(l -> "lan".equals(RunningGateway.field(l, "listener")));
            assertThat(RunningGateway.field(line, "name")).isEqualTo(NAME);
            assertThat(RunningGateway.field(line, "name_from")).isEqualTo("dns");
            assertThat(RunningGateway.field(line, "outcome")).isEqualTo("ok");
            assertThat(proxy.requests).anyMatch(r -> r.startsWith("CONNECT " + NAME + ":" + port + " "));

            // box 1 is gone: counted every interval, warned once, on the status page
            await().atMost(Duration.ofSeconds(5)).until(
                    () -> Metrics.scrape(admin[2]).value("sluice_dns_pair_sync_total", "result", "failed") >= 3);
            assertThat(lines("WARN", peerOfTwo) - warnedBefore).isEqualTo(1);
            JsonNode pair = Json.object(get(admin[2], "/status.json", "127.0.0.1").split("\r\n\r\n", 2)[1])
                    .get("dns_pair");
            assertThat(pair.get("problem").asString()).startsWith("failed: ");
            assertThat(DnsWireAccess.askA(dnsPort[2], NAME)).as("box 2 still answers the name alike").isEqualTo(given);

            // box 1 back (its table from its state file): box 2 says so once
            one = box(1, "- { name: lan, listen: 127.77.0.1:0, transparent: tproxy }", proxy.port());
            await().atMost(Duration.ofSeconds(5)).until(() -> lines("INFO", peerOfTwo + " again") == 1);
            assertThat(DnsWireAccess.askA(dnsPort[1], NAME)).isEqualTo(given);
        }
    }

    @Test
    void theNamesEndpointGivesEveryNameFirstThenTheChangesAndOnlyToAdminClients() throws Exception {
        one = box(1, "- { listen: 127.0.0.1:0 }", 1);
        ask(dnsPort[1], "a.example.test");
        ask(dnsPort[1], "b.example.test");
        String[] full = get(admin[1], "/dns/names", "127.0.0.1").split("\r\n\r\n", 2);
        assertThat(full[0]).startsWith("HTTP/1.1 200 OK").contains("content-type: text/plain; charset=utf-8");
        List<String> lines = full[1].lines().toList();
        assertThat(lines.get(0)).matches("sluice-dns-pair 1 ipv4=127\\.77\\.0\\.0/16 ipv6=fdec:5c::/96 slots=65534 "
                + "half=1 next=[0-9a-f]{16}\\.\\d+ full");
        assertThat(lines.subList(1, lines.size())).hasSize(2).allMatch(l -> l.matches("\\d+ \\d{13} [a-z.]+"))
                .anyMatch(l -> l.startsWith("0 ") && l.endsWith(" a.example.test"))
                .anyMatch(l -> l.startsWith("2 ") && l.endsWith(" b.example.test"));
        String next = lines.get(0).replaceAll(".* next=(\\S+) full", "$1");

        String[] none = get(admin[1], "/dns/names?since=" + next, "127.0.0.1").split("\r\n\r\n", 2);
        assertThat(none[1]).endsWith(" next=" + next + " changes\n");
        ask(dnsPort[1], "c.example.test");
        List<String> changes = get(admin[1], "/dns/names?since=" + next, "127.0.0.1").split("\r\n\r\n", 2)[1]
                .lines().toList();
        assertThat(changes.get(0)).endsWith(" changes");
        assertThat(changes.subList(1, changes.size())).singleElement().asString().startsWith("4 ")
                .endsWith(" c.example.test");

        String refused = get(admin[1], "/dns/names", "127.0.0.2");
        assertThat(refused).startsWith("HTTP/1.1 403 Forbidden").endsWith("127.0.0.2 is not in admin.clients\n")
                .doesNotContain("example.test");
    }

    @Test
    void boxesWithOtherRangesOrTheSameHalfDoNotMergeAndSaySo() throws Exception {
        one = RunningGateway.start(config(1, "- { listen: 127.0.0.1:0 }", 1, "127.78.0.0/16"), dir);
        two = box(2, "- { listen: 127.0.0.1:0 }", 1);
        ask(dnsPort[1], "a.example.test");
        await().atMost(Duration.ofSeconds(5)).until(
                () -> Metrics.scrape(admin[2]).value("sluice_dns_pair_sync_total", "result", "mismatch") >= 2);
        assertThat(two.gateway.synthetic().size()).isZero();
        String problem = Json.object(get(admin[2], "/status.json", "127.0.0.1").split("\r\n\r\n", 2)[1])
                .get("dns_pair").get("problem").asString();
        assertThat(problem).isEqualTo("mismatch: the peer's synthetic ranges differ (ipv4=127.78.0.0/16 "
                + "ipv6=fdec:5c::/96, 65534 slots; here ipv4=127.77.0.0/16 ipv6=fdec:5c::/96, 65534 slots): give both "
                + "boxes the same dns.synthetic and dns.limits.names; not synced");
        await().atMost(Duration.ofSeconds(5)).until(() -> lines("WARN", "the peer's synthetic ranges differ") == 2);
        long pulls = (long) Metrics.scrape(admin[2]).value("sluice_dns_pair_sync_total", "result", "mismatch");
        await().atMost(Duration.ofSeconds(5)).until(() -> Metrics.scrape(admin[2])
                .value("sluice_dns_pair_sync_total", "result", "mismatch") >= pulls + 2);
        assertThat(lines("WARN", "the peer's synthetic ranges differ")).as("once per box, not every pull").isEqualTo(2);
    }

    @Test
    void inAPairTheDnsListenersBindAnAddressThisHostDoesNotHoldYet() throws Exception {
        String virtual = "192.0.2.53"; // TEST-NET-1: on no interface here; nothing is sent to it
        String yaml = config(1, "- { listen: 127.0.0.1:0 }", 1, "127.77.0.0/16")
                .replace("listen: [127.0.0.1:" + dnsPort[1] + "]", "listen: [" + virtual + ":" + dnsPort[1] + "]");
        one = RunningGateway.start(yaml, dir);
        assertThat(one.gateway.synthetic()).isNotNull();
        one.close();
        one = null;
        String alone = yaml.replaceAll("  pair: .*\n", "");
        assertThatThrownBy(() -> RunningGateway.start(alone, dir)).as("without a pair, no IP_FREEBIND")
                .hasMessageStartingWith("dns: cannot bind udp " + virtual + ":" + dnsPort[1] + ": ");
    }

    long lines(String level, String containing) {
        synchronized (log) {
            return log.list.stream().filter(e -> e.getLevel().toString().equals(level))
                    .filter(e -> e.getFormattedMessage().contains(containing)).count();
        }
    }

    /** One GET from {@code from} (a loopback address) on its own connection: the whole answer, head and body. */
    static String get(int port, String path, String from) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
