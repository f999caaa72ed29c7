package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstream choice under load: a proxy killed mid-run, and least_latency against a slower proxy. */
class UpstreamFailoverTest {
    @TempDir
    Path dir;
    Origin origin;
    RunningGateway gw;

    @BeforeEach
    void setUp() throws Exception {
        origin = Origin.tls(Origin.COMMANDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        origin.close();
    }

    String config(String extra, FakeProxy... proxies) {
        String urls = FakeProxy.routedUrls("proxy.golang.org:443", origin.port(), proxies);
        return """
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [%s]
                %s
                rules: [{ name: go, sni: [proxy.golang.org], action: splice, upstream: corp }]
                timeouts: { connect: 1s }
                """.formatted(urls, extra.indent(4));
    }

    boolean tunnel() {
        return Clients.upAndChecked(gw.port(), "proxy.golang.org", 2000, 5);
    }

    @Test
    void killingTheFirstOfThreeProxiesUnderLoadCostsNoNewTunnel() throws Exception {
        FakeProxy p1 = new FakeProxy();
        try (FakeProxy p2 = new FakeProxy(); FakeProxy p3 = new FakeProxy()) {
            gw = RunningGateway.start(config("", p1, p2, p3), dir);
            AtomicBoolean killed = new AtomicBoolean();
            AtomicInteger okBefore = new AtomicInteger();
            AtomicInteger cutAtKill = new AtomicInteger();
            AtomicInteger newAfter = new AtomicInteger();
            List<String> newFailures = new CopyOnWriteArrayList<>();
            long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            ExecutorService load = Executors.newFixedThreadPool(4);
            for (int t = 0; t < 4; t++) {
                load.execute(() -> {
                    while (System.nanoTime() < stopAt) {
                        boolean startedAfterKill = killed.get();
                        boolean ok = tunnel();
                        if (startedAfterKill) {
                            newAfter.incrementAndGet();
                            if (!ok) {
                                newFailures.add("failed");
                            }
                        } else if (ok) {
                            okBefore.incrementAndGet();
                        } else {
                            cutAtKill.incrementAndGet();
                        }
                    }
                });
            }
            Thread.sleep(1500);
            Instant killedAt = Instant.now();
            killed.set(true);
            p1.close(); // the process dies: listener and every connection gone
            load.shutdown();
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(okBefore.get()).as("tunnels before the kill").isGreaterThan(10);
            assertThat(newAfter.get()).as("tunnels started after the kill").isGreaterThan(10);
            assertThat(newFailures).as("client-visible failures among tunnels started after the kill").isEmpty();
            // how long did traffic keep trying the dead proxy?
            String dead = "\"via\":\"127.0.0.1:" + p1.port() + "\",\"error\":\"";
            Instant lastTry = gw.accessLog.stream().filter(l -> l.contains(dead))
                    .map(l -> Instant.parse(field(l, "ts"))).max(Instant::compareTo).orElse(killedAt);
            long millis = Math.max(0, lastTry.toEpochMilli() - killedAt.toEpochMilli());
            long tries = gw.accessLog.stream().filter(l -> l.contains(dead)).count();
            String figures = String.format("first of 3 proxies killed under load (4 clients): %d tunnels ok before, "
                    + "%d cut in flight at the kill, %d started after it with %d failures; the dead proxy was tried "
                    + "%d times, the last %d ms after the kill%n", okBefore.get(), cutAtKill.get(), newAfter.get(),
                    newFailures.size(), tries, millis);
            System.out.print(figures);
            Files.writeString(Path.of("target", "failover-figures.txt"), figures);
            assertThat(tries).as("out of service after fall (3) failures, then only retried last").isLessThan(20);
        } finally {
            p1.close();
        }
    }

    @Test
    void aReloadDoesNotForgetThatAProxyIsDown() throws Exception {
        FakeProxy dead = new FakeProxy();
        dead.close(); // its port now refuses connections
        try (FakeProxy alive = new FakeProxy()) {
            String yaml = config("health: { fall: 1, rise: 5 }", dead, alive);
            gw = RunningGateway.start(yaml, dir);
            assertThat(tunnel()).isTrue(); // the dead one is tried first, fails, is taken out; the next carries it
            assertThat(proxies()).containsExactly("down", "up");
            gw.gateway.reload(dev.sluice.config.ConfigLoader.parse("test.yaml", yaml, dir));
            assertThat(proxies()).as("same proxies after a reload: same health").containsExactly("down", "up");
            assertThat(tunnel()).isTrue();
            assertThat(gw.awaitLine(1)).as("the known-dead proxy is not tried first again").contains("\"attempts\":[{\"via\":\"127.0.0.1:" + alive.port() + "\"");
        }
    }

    /** "up"/"down" for each proxy of upstream corp, in the configuration's order. */
    List<String> proxies() {
        return gw.gateway.compiled().upstreams().get("corp").proxies().stream().map(p -> p.isUp() ? "up" : "down")
                .toList();
    }

    @Test
    void leastLatencySendsMostTunnelsToTheFasterProxy() throws Exception {
        try (FakeProxy slow = new FakeProxy().delay(20); FakeProxy fast = new FakeProxy()) {
            gw = RunningGateway.start(config("strategy: least_latency", slow, fast), dir);
            for (int i = 0; i < 10; i++) {
                assertThat(tunnel()).isTrue(); // warm up: both get measured
            }
            int before = fast.requests.size();
            int n = 60;
            for (int i = 0; i < n; i++) {
                assertThat(tunnel()).isTrue();
            }
            double share = (fast.requests.size() - before) / (double) n;
            String figures = String.format("least_latency: %.0f%% of %d new tunnels went to the proxy that answers "
                    + "CONNECT 20 ms faster%n", share * 100, n);
            System.out.print(figures);
            Files.writeString(Path.of("target", "least-latency-figures.txt"), figures);
            assertThat(share).isGreaterThanOrEqualTo(0.8);
        }
    }
}
