package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static dev.sluice.testing.RunningGateway.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The connection limits and the listener's behaviour when the process is out of file descriptors: one client
 * flooding the gateway cannot take it from the others, a global cap holds, and EMFILE neither spins the
 * listener nor leaves it deaf once descriptors are free again. The figures are printed for the closing note.
 */
@ExtendWith(NettyLeaks.class)
class ConnectionLimitsTest {
    static final InetAddress GOOD = address("127.0.0.1");
    static final InetAddress FLOODER = address("127.0.0.2");
    static final String NAME = "proxy.golang.org";
    static final String PER_CLIENT = "sluice_connections_refused_total{reason=\"max_connections_per_client\"}";
    static final String GLOBAL = "sluice_connections_refused_total{reason=\"max_connections\"}";
    static final String ACTIVE = "sluice_connections_active";

    @TempDir
    Path dir;

    static String yaml(int proxyPort, String extra) {
        return """
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                rules: [{ name: go, sni: [proxy.golang.org], action: splice, upstream: corp }]
                admin: { listen: 127.0.0.1:0 }
                """.formatted(proxyPort) + extra;
    }

    /**
     * The test: 10 000 connections from 127.0.0.2 against max_connections_per_client 100, while 127.0.0.1
     * downloads 64 MiB through the gateway. The first 100 are held open (and served afterwards), every one of the
     * 9 900 others is reset at once and counted, the download is byte-exact, and 127.0.0.2 is served again once
     * it has closed its connections.
     */
    @Test
    void tenThousandConnectionsFromOneClientLeaveAnotherClientsDownloadUntouched() throws Exception {
        final int perClient = 100;
        final int attempts = 10_000;
        final int extra = attempts - perClient;
        final long download = 64L << 20;
        final int threads = 4;
        long t0 = System.nanoTime();
        ListAppender<ILoggingEvent> warnings = capture("dev.sluice.observe.metrics.Refusals");
        List<Socket> held = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(NAME + ":443", origin.port());
             RunningGateway gw = RunningGateway.start(yaml(proxy.port(), """
                     timeouts: { client_hello: 60s }
                     limits: { max_connections: 8192, max_connections_per_client: %d }
                     """.formatted(perClient)), dir)) {
            InetSocketAddress admin = gw.gateway.adminAddress();
            int port = gw.port();

            // 100 connections from 127.0.0.2 that stay open: they send nothing yet (client_hello is 60 s)
            for (int i = 0; i < perClient; i++) {
                held.add(connect(FLOODER, port, 20_000));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(admin, ACTIVE) == perClient);
            assertThat(metric(admin, PER_CLIENT)).as("refused before the flood").isZero();

            // 9 900 more from 127.0.0.2, on several threads, while 127.0.0.1 downloads 64 MiB
            AtomicInteger tried = new AtomicInteger();
            AtomicInteger resets = new AtomicInteger();
            AtomicInteger eofs = new AtomicInteger();
            AtomicLong slowestNanos = new AtomicLong();
            ConcurrentLinkedQueue<String> notRefused = new ConcurrentLinkedQueue<>();
            long floodStart = System.nanoTime();
            List<Future<?>> flooders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int share = extra / threads + (t < extra % threads ? 1 : 0);
                flooders.add(pool.submit(() -> {
                    for (int i = 0; i < share && !Thread.currentThread().isInterrupted(); i++) {
                        tried.incrementAndGet();
                        long a = System.nanoTime();
                        String how = refusedOrWhy(FLOODER, port);
                        slowestNanos.accumulateAndGet(System.nanoTime() - a, Math::max);
                        switch (how) {
                            case "reset" -> resets.incrementAndGet();
                            case "eof" -> eofs.incrementAndGet();
                            default -> notRefused.add(how);
                        }
                    }
                    return null;
                }));
            }
            // the download starts once the flood is well under way, so it runs against it
            await().atMost(Duration.ofSeconds(20)).until(() -> tried.get() >= 500 || !notRefused.isEmpty());
            assertThat(notRefused).as("attempts over the limit that were not reset at once").isEmpty();
            int triedAtDownloadStart = tried.get();
            long d0 = System.nanoTime();
            String received;
            int goodPort;
            try (SSLSocket tls = Clients.tls(connect(GOOD, port, 20_000), NAME)) {
                goodPort = tls.getLocalPort();
                OutputStream out = tls.getOutputStream();
                out.write(("DOWN " + download + " 77\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                received = Clients.receive(tls.getInputStream(), download);
                out.write("\n".getBytes(StandardCharsets.US_ASCII)); // ends the origin's command loop
                out.flush();
            }
            long d1 = System.nanoTime();
            int triedAtDownloadEnd = tried.get();
            for (Future<?> f : flooders) {
                f.get(60, TimeUnit.SECONDS);
            }
            long floodEnd = System.nanoTime();

            assertThat(received).as("SHA-256 of the 64 MiB download from 127.0.0.1")
                    .isEqualTo(Clients.send(OutputStream.nullOutputStream(), download, 77));
            String goodLine = gw.awaitLine(l -> ("127.0.0.1:" + goodPort).equals(field(l, "client")));
            assertThat(field(goodLine, "outcome")).isEqualTo("ok");
            assertThat(number(goodLine, "bytes_down")).isGreaterThan(download);

            assertThat(notRefused).as("attempts over the limit that were not reset at once").isEmpty();
            assertThat(resets.get() + eofs.get()).as("attempts refused").isEqualTo(extra);
            assertThat(metric(admin, PER_CLIENT)).as(PER_CLIENT).isEqualTo(extra);
            assertThat(metric(admin, GLOBAL)).as(GLOBAL).isZero();
            assertThat(metric(admin, ACTIVE)).as("the held connections, still counted").isEqualTo(perClient);
            assertThat(gw.accessLog).as("refused connections leave no access-log line")
                    .noneMatch(l -> field(l, "client").startsWith("127.0.0.2:"));
            List<ILoggingEvent> warned = List.copyOf(warnings.list);
            double floodSeconds = (floodEnd - floodStart) / 1e9;
            assertThat(warned).as("WARN lines during a %.1f s flood (at most one per 10 s)", floodSeconds)
                    .hasSizeBetween(1, 1 + (int) (floodSeconds / 10));
            assertThat(warned.get(0).getLevel()).isEqualTo(Level.WARN);
            // the first report counts the first refusal and any that raced it on the other event loops (one per core)
            java.util.regex.Matcher first = java.util.regex.Pattern.compile("refusing new connections: "
                    + "max_connections_per_client \\(100\\) reached, last from 127\\.0\\.0\\.2; (\\d+) refused since the "
                    + "last report").matcher(warned.get(0).getFormattedMessage());
            assertThat(first.matches()).as(warned.get(0).getFormattedMessage()).isTrue();
            assertThat(Integer.parseInt(first.group(1))).as("refusals in the first report")
                    .isBetween(1, Runtime.getRuntime().availableProcessors());

            // the 100 held connections were kept through the flood: each now completes a tunnel to the origin
            List<Future<String>> served = new ArrayList<>();
            for (Socket s : held) {
                served.add(pool.submit(() -> {
                    SSLSocket tls = Clients.tls(s, NAME);
                    tls.getOutputStream().write("DOWN 4096 5\n".getBytes(StandardCharsets.US_ASCII));
                    tls.getOutputStream().flush();
                    return Clients.receive(tls.getInputStream(), 4096);
                }));
            }
            String expected = Clients.send(OutputStream.nullOutputStream(), 4096, 5);
            for (Future<String> f : served) {
                assertThat(f.get(30, TimeUnit.SECONDS)).as("a held connection's tunnel after the flood")
                        .isEqualTo(expected);
            }
            for (Socket s : held) {
                s.close();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.accessLog.stream()
                    .filter(l -> field(l, "client").startsWith("127.0.0.2:")).count() == perClient);
            assertThat(gw.accessLog).filteredOn(l -> field(l, "client").startsWith("127.0.0.2:"))
                    .allMatch(l -> "ok".equals(field(l, "outcome")));
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(admin, ACTIVE) == 0);

            // 127.0.0.2 is below its limit again: a new connection is served
            servedOrFail(() -> tunnel(FLOODER, port, 65536, 9, 5000), "a new connection from 127.0.0.2 after it "
                    + "closed its connections");
            assertThat(metric(admin, PER_CLIENT)).as("no more refusals").isEqualTo(extra);

            System.out.printf("per-client limit: %d held + %d more attempts from 127.0.0.2 on %d threads in %.2f s "
                            + "(%.0f/s): %d refused (%d reset, %d EOF), slowest refusal %.1f ms, metric %s = %.0f, "
                            + "%d WARN line(s); 64 MiB download from 127.0.0.1 at %.0f MB/s, SHA-256 equal, during "
                            + "flood attempts %d..%d; test wall time %.1f s%n",
                    perClient, extra, threads, floodSeconds, extra / floodSeconds, resets.get() + eofs.get(),
                    resets.get(), eofs.get(), slowestNanos.get() / 1e6, PER_CLIENT, metric(admin, PER_CLIENT),
                    warned.size(), download / 1e6 / ((d1 - d0) / 1e9), triedAtDownloadStart, triedAtDownloadEnd,
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            for (Socket s : held) {
                s.close();
            }
            pool.shutdownNow();
            release(warnings, "dev.sluice.observe.metrics.Refusals");
        }
    }

    /**
     * max_connections 5: five open connections from five addresses, and a sixth from yet another one is reset
     * and counted as max_connections; once one of the five has closed, the sixth address is served.
     */
    @Test
    void maxConnectionsRefusesAnyClientUntilAConnectionCloses() throws Exception {
        ListAppender<ILoggingEvent> warnings = capture("dev.sluice.observe.metrics.Refusals");
        List<Socket> held = new ArrayList<>();
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(NAME + ":443", origin.port());
             RunningGateway gw = RunningGateway.start(yaml(proxy.port(), """
                     timeouts: { client_hello: 60s }
                     limits: { max_connections: 5, max_connections_per_client: 5 }
                     """), dir)) {
            InetSocketAddress admin = gw.gateway.adminAddress();
            for (int i = 1; i <= 5; i++) {
                held.add(connect(address("127.0.0.1" + i), gw.port(), 20_000));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(admin, ACTIVE) == 5);

            InetAddress sixth = address("127.0.0.16");
            assertThat(refusedOrWhy(sixth, gw.port())).as("the 6th connection, from 127.0.0.16").isEqualTo("reset");
            assertThat(metric(admin, GLOBAL)).as(GLOBAL).isEqualTo(1);
            assertThat(metric(admin, PER_CLIENT)).as(PER_CLIENT).isZero();
            assertThat(metric(admin, ACTIVE)).isEqualTo(5);
            assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                    "refusing new connections: max_connections (5) reached, last from 127.0.0.16; "
                            + "1 refused since the last report");
            assertThat(gw.accessLog).as("a refused connection leaves no access-log line").isEmpty();

            held.remove(2).close(); // 127.0.0.13 goes
            gw.awaitLine(l -> field(l, "client").startsWith("127.0.0.13:"));
            await().atMost(Duration.ofSeconds(10)).until(() -> metric(admin, ACTIVE) == 4);

            int local = servedOrFail(() -> tunnel(sixth, gw.port(), 65536, 3, 5000),
                    "a connection from 127.0.0.16 once one of the five had closed");
            String line = gw.awaitLine(l -> ("127.0.0.16:" + local).equals(field(l, "client")));
            assertThat(field(line, "outcome")).isEqualTo("ok");
            assertThat(metric(admin, GLOBAL)).as("still one refusal").isEqualTo(1);
        } finally {
            for (Socket s : held) {
                s.close();
            }
            release(warnings, "dev.sluice.observe.metrics.Refusals");
        }
    }

    /**
     * Out of file descriptors (the gateway as a process under `ulimit -n`): accept fails with EMFILE, the
     * listener reports it once and pauses instead of spinning on the error, and it accepts again by itself
     * once descriptors are free.
     */
    @Test
    void outOfDescriptorsTheListenerPausesWithoutSpinningAndResumesByItself() throws Exception {
        final int limit = 192; // the JVM with this classpath needs about 110 of them before any connection
        List<Socket> held = new ArrayList<>();
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(NAME + ":443", origin.port())) {
            Path cfg = dir.resolve("gateway.yaml");
            Files.writeString(cfg, yaml(proxy.port(), """
                    timeouts: { client_hello: 120s }
                    access_log: stdout
                    limits: { max_connections: 100000, max_connections_per_client: 100000 }
                    """));
            Process p = new ProcessBuilder("bash", "-c", "ulimit -n " + limit + " && exec \"$@\"", "sluice",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), "dev.sluice.Sluice", "run", "--config",
                    cfg.toString()).redirectErrorStream(true).start();
            List<String> lines = new CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)).lines().forEach(lines::add));
            reader.setDaemon(true);
            reader.start();
            try {
                Pattern bound = Pattern.compile(".*Gateway: listener https bound to 127\\.0\\.0\\.1:(\\d+) .*");
                Pattern adminBound = Pattern.compile(".*Gateway: admin listener bound to 127\\.0\\.0\\.1:(\\d+) .*");
                await().atMost(Duration.ofSeconds(30)).until(() -> lines.stream().anyMatch(bound.asMatchPredicate()));
                int port = port(lines, bound);
                InetSocketAddress admin = new InetSocketAddress(GOOD, port(lines, adminBound));

                // warm up: one whole tunnel and one scrape, so the classes they need are loaded while there are
                // descriptors to read them with
                tunnel(GOOD, port, 64 * 1024, 1, 20_000);
                await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream().anyMatch(l -> l.startsWith("{")
                        && "ok".equals(field(l, "outcome"))));
                assertThat(metric(admin, "sluice_accept_errors_total{listener=\"https\"}", 0)).isZero();
                int before = descriptors(p.pid());

                // more connections than the process can have descriptors; they send nothing and stay
                for (int i = 0; i < limit; i++) {
                    held.add(connect(GOOD, port, 20_000));
                }
                String error = await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream()
                        .filter(l -> l.contains(" ERROR ")).findFirst().orElse(null), l -> l != null);
                assertThat(error).matches(".* ERROR +Refusals: listener https: accept failed: .*Too many open files.*; "
                        + "not accepting for 1 s, then trying again \\(1 failure since the last report\\)");
                int exhausted = descriptors(p.pid());
                assertThat(exhausted).as("descriptors in use at the limit").isGreaterThanOrEqualTo(limit - 2);

                // descriptors stay exhausted (the connections are held): the listener must not spin
                long ticks = Long.parseLong(run("getconf", "CLK_TCK").trim());
                long cpu0 = cpuTicks(p.pid());
                long w0 = System.nanoTime();
                Thread.sleep(3000); // the measuring window
                long cpu1 = cpuTicks(p.pid());
                double window = (System.nanoTime() - w0) / 1e9;
                double cpuSeconds = (cpu1 - cpu0) / (double) ticks;
                assertThat(descriptors(p.pid())).as("still out of descriptors after the window")
                        .isGreaterThanOrEqualTo(limit - 2);
                assertThat(p.isAlive()).isTrue();
                assertThat(cpuSeconds).as("CPU seconds used in %.1f s while out of descriptors", window)
                        .isLessThan(0.5);
                assertThat(lines).as("ERROR lines (at most one per 10 s)").filteredOn(l -> l.contains(" ERROR "))
                        .hasSize(1);

                // descriptors free again: within a few seconds a new connection is accepted and served
                for (Socket s : held) {
                    s.close();
                }
                held.clear();
                long r0 = System.nanoTime();
                int local = servedOrFail(() -> tunnel(GOOD, port, 64 * 1024, 2, 5000),
                        "a new connection once descriptors were free again");
                double recovery = (System.nanoTime() - r0) / 1e9;
                assertThat(recovery).as("seconds until a new connection was served again").isLessThan(5);
                String line = await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream()
                        .filter(l -> l.startsWith("{") && ("127.0.0.1:" + local).equals(field(l, "client")))
                        .findFirst().orElse(null), l -> l != null);
                assertThat(field(line, "outcome")).isEqualTo("ok");
                double acceptErrors = metric(admin, "sluice_accept_errors_total{listener=\"https\"}", 0);
                assertThat(acceptErrors).as("sluice_accept_errors_total{listener=\"https\"}").isPositive();

                System.out.printf("EMFILE: ulimit -n %d, %d descriptors in use before, %d when accept failed; "
                                + "%.3f s CPU in %.1f s while out of descriptors; served again %.2f s after the "
                                + "connections closed; sluice_accept_errors_total{listener=\"https\"} = %.0f%n",
                        limit, before, exhausted, cpuSeconds, window, recovery, acceptErrors);

                new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
                assertThat(p.waitFor(40, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            } catch (Throwable t) {
                System.out.println("process output:\n" + String.join("\n", lines));
                throw t;
            } finally {
                for (Socket s : held) {
                    s.close();
                }
                p.destroyForcibly();
            }
        }
    }

    // ---- helpers

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** A TCP connection to the gateway on 127.0.0.1:{@code port} from the address {@code from}. */
    private static Socket connect(InetAddress from, int port, int readTimeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(GOOD, port), 5000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(readTimeoutMillis);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Connects from {@code from} and reads: "reset" or "eof" when the gateway closed the connection without a
     * byte within 2 s, otherwise what happened instead.
     */
    private static String refusedOrWhy(InetAddress from, int port) {
        try (Socket s = connect(from, port, 2000)) {
            int b = s.getInputStream().read();
            return b < 0 ? "eof" : "served: read a byte";
        } catch (SocketTimeoutException e) {
            return "served: still open after 2 s";
        } catch (SocketException e) {
            return String.valueOf(e.getMessage()).contains("reset") ? "reset" : "connect failed: " + e;
        } catch (IOException e) {
            return "failed: " + e;
        }
    }

    /**
     * A tunnel from {@code from} to the origin through the gateway with a verified download; returns the client's
     * local port. Reads time out after {@code timeoutMillis}.
     */
    private static int tunnel(InetAddress from, int port, int size, long seed, int timeoutMillis) throws Exception {
        try (SSLSocket tls = Clients.tls(connect(from, port, timeoutMillis), NAME)) {
            tls.getOutputStream().write(("DOWN " + size + " " + seed + "\n").getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            assertThat(Clients.receive(tls.getInputStream(), size)).as("SHA-256 of the download")
                    .isEqualTo(Clients.send(OutputStream.nullOutputStream(), size, seed));
            return tls.getLocalPort();
        }
    }

    interface Attempt {
        int run() throws Exception;
    }

    /** Runs {@code attempt}; a reset, EOF or timeout fails the test as "{@code what} was not served". */
    private static int servedOrFail(Attempt attempt, String what) throws Exception {
        try {
            return attempt.run();
        } catch (IOException e) {
            throw new AssertionError(what + " was not served: " + e, e);
        }
    }

    private static double metric(InetSocketAddress admin, String sample) throws IOException {
        return Metrics.scrape(admin).sample(sample);
    }

    /** A sample that may be absent until it is first counted. */
    private static double metric(InetSocketAddress admin, String sample, double absent) throws IOException {
        return Metrics.scrape(admin).sample(sample, absent);
    }

    private static ListAppender<ILoggingEvent> capture(String logger) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(logger)).addAppender(appender);
        return appender;
    }

    private static void release(ListAppender<ILoggingEvent> appender, String logger) {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(logger)).detachAppender(appender);
        appender.stop();
    }

    private static int port(List<String> lines, Pattern p) {
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.matches()) {
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("no line matches " + p + " in:\n" + String.join("\n", lines));
    }

    /** Open file descriptors of a process. */
    private static int descriptors(long pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }

    /** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // f[0] is field 3 (state)
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            return out;
        }
    }
}
