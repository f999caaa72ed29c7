package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Clients;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.Origin;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak: the real gateway process (the systemd unit's JVM flags) between this JVM's clients and two real
 * tinyproxy processes, for {@code -Dsluice.soak.seconds} (120 by default, as CI runs it; 600 for the full soak),
 * with everything at once: bulk transfers both ways (32 MiB, SHA-256 checked), short tunnels (1 KiB echoed),
 * idle tunnels held open, slowloris half-hellos, one proxy killed with SIGKILL and restarted every 40 s, and a
 * SIGHUP reload every 30 s. At the end: no completed transfer lost or changed a byte, every transfer that failed
 * was in flight when a proxy was killed, every connection this side opened has its access-log line (per
 * listener), and once everything is closed the gateway's descriptors and heap after a full GC are back within
 * {@link #FD_BOUND} and {@link #HEAP_BOUND} of what they were after the warm-up.
 */
class SoakTest {
    static final int FD_BOUND = 8;
    static final long HEAP_BOUND = 8L << 20;
    static final long BULK = 32L << 20;
    static final int SHORT = 1024;
    static final int IDLE = 100;
    static final int SLOWLORIS = 40;

    @TempDir
    Path dir;

    final AtomicBoolean running = new AtomicBoolean(true);
    /** Connections opened (connect returned), by listener. */
    final Map<String, AtomicLong> opened = new ConcurrentHashMap<>();
    final Map<String, AtomicLong> completed = new ConcurrentHashMap<>();
    final AtomicLong bytesChecked = new AtomicLong();
    /** Exchanges that ended early (EOF, reset, timeout), with when they ran. */
    final List<long[]> cut = new CopyOnWriteArrayList<>();
    final List<String> cutWhy = new CopyOnWriteArrayList<>();
    /** Exchanges whose bytes came back wrong: must stay empty. */
    final List<String> corrupted = new CopyOnWriteArrayList<>();
    /** When a proxy was killed (System.nanoTime()). */
    final List<Long> kills = new CopyOnWriteArrayList<>();
    final byte[] hello = Hellos.withServerName("localhost");

    @Test
    @Timeout(value = 30, unit = java.util.concurrent.TimeUnit.MINUTES)
    void mixedLoadWithProxiesKilledAndReloadsLosesNothing() throws Exception {
        long seconds = Long.getLong("sluice.soak.seconds", 120);
        dev.sluice.testing.Tools.require("tinyproxy",
                "tinyproxy is not installed (apt-get install tinyproxy); the soak needs two real proxies");
        try (Origin origin = Origin.raw(SoakTest::serve);
             Tinyproxy a = Tinyproxy.start(dir.resolve("a"));
             Tinyproxy b = Tinyproxy.start(dir.resolve("b"))) {
            Tinyproxy[] proxies = {a, b};
            int[] ports = {GatewayProcess.freePort(), GatewayProcess.freePort(), GatewayProcess.freePort(),
                GatewayProcess.freePort()};
            int admin = GatewayProcess.freePort();
            Path config = dir.resolve("gateway.yaml");
            Path accessLog = dir.resolve("access.log");
            writeConfig(config, ports, admin, origin.port(), a.port, b.port, accessLog, "3s");
            try (GatewayProcess gw = GatewayProcess.start(config, Map.of(), GatewayProcess.UNIT_JVM)) {
                gw.awaitErr(l -> l.contains("listener slow bound"), Duration.ofSeconds(30));
                // warm-up: the code paths loaded and compiled, then all closed: the baseline
                for (int i = 0; i < 200; i++) {
                    shortExchange(ports[1], new SplittableRandom(i));
                }
                bulkExchange(ports[0], 1, true);
                bulkExchange(ports[0], 2, false);
                awaitQuiet(gw, admin);
                int fdBase = gw.openFds();
                long heapBase = gw.heapUsedAfterGc();
                long rssBase = gw.rssKiB();
                long reloadsBase = gw.err.stream().filter(l -> l.contains("configuration reloaded")).count();

                List<Thread> workers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    int n = i;
                    workers.add(worker("bulk-" + i, () -> {
                        long seq = 0;
                        while (running.get()) {
                            bulkExchange(ports[0], n * 1_000_000L + seq, seq % 2 == 0);
                            seq++;
                        }
                    }));
                }
                for (int i = 0; i < 4; i++) {
                    SplittableRandom r = new SplittableRandom(100 + i);
                    workers.add(worker("short-" + i, () -> {
                        while (running.get()) {
                            shortExchange(ports[1], r);
                        }
                    }));
                }
                for (int i = 0; i < IDLE; i++) {
                    workers.add(worker("idle-" + i, () -> {
                        while (running.get()) {
                            idleTunnel(ports[2]);
                        }
                    }));
                }
                for (int i = 0; i < SLOWLORIS; i++) {
                    workers.add(worker("slow-" + i, () -> {
                        while (running.get()) {
                            slowloris(ports[3]);
                        }
                    }));
                }

                long start = System.nanoTime();
                long end = start + seconds * 1_000_000_000L;
                long nextReload = start + 30_000_000_000L;
                long nextKill = start + 20_000_000_000L;
                int reloads = 0;
                int killed = 0;
                long maxRss = 0;
                int maxFds = 0;
                Tinyproxy down = null;
                long restartAt = 0;
                while (System.nanoTime() < end) {
                    long now = System.nanoTime();
                    if (now >= nextReload) {
                        writeConfig(config, ports, admin, origin.port(), a.port, b.port, accessLog,
                                reloads % 2 == 0 ? "4s" : "3s");
                        gw.signal("HUP");
                        reloads++;
                        long want = reloadsBase + reloads;
                        await().atMost(Duration.ofSeconds(10)).until(() -> gw.err.stream()
                                .filter(l -> l.contains("configuration reloaded")).count() >= want);
                        nextReload += 30_000_000_000L;
                    }
                    if (down == null && now >= nextKill) {
                        down = proxies[killed % 2];
                        kills.add(System.nanoTime());
                        down.kill();
                        killed++;
                        restartAt = now + 10_000_000_000L;
                        nextKill += 40_000_000_000L;
                    }
                    if (down != null && now >= restartAt) {
                        down.restart();
                        down = null;
                    }
                    maxRss = Math.max(maxRss, gw.rssKiB());
                    maxFds = Math.max(maxFds, gw.openFds());
                    Thread.sleep(200); // the conductor's tick: what it does is checked, not timed
                }
                if (down != null) {
                    down.restart();
                }
                // every worker finishes what it is doing: bulk and short transfers complete, idle holders send
                // their last echo, slowloris connections wait for their reset
                running.set(false);
                for (Thread t : workers) {
                    t.join(90_000);
                }
                List<String> stuck = workers.stream().filter(Thread::isAlive).map(Thread::getName).toList();
                closeAll();
                assertThat(stuck).as("workers still running 90 s after the end").isEmpty();
                awaitQuiet(gw, admin);
                int fdEnd = gw.openFds();
                long heapEnd = gw.heapUsedAfterGc();
                long rssEnd = gw.rssKiB();
                Map<String, Long> lines = awaitAccessLog(accessLog);
                Map<String, Long> outcomes = outcomes(accessLog);
                System.out.printf("soak: %d s, %d reloads, %d proxy kills; bulk %d done (%d MiB checked), short %d, "
                                + "idle tunnels %d, slowloris %d; cut by a kill %d %s, corrupted %d; access-log lines %s = "
                                + "opened %s; outcomes %s; fds %d -> %d (max %d), heap after GC %.1f -> %.1f MiB, "
                                + "RSS %.1f -> %.1f MiB (max %.1f)%n",
                        seconds, reloads, killed, count(completed, "bulk"), bytesChecked.get() >> 20,
                        count(completed, "short"), count(opened, "idle"), count(opened, "slow"), cut.size(),
                        new TreeMap<>(cutWhy.stream().collect(Collectors.groupingBy(w -> w.split(" |:")[0],
                                Collectors.counting()))), corrupted.size(), new TreeMap<>(lines), new TreeMap<>(snapshot(opened)), outcomes, fdBase,
                        fdEnd, maxFds, heapBase / 1048576.0, heapEnd / 1048576.0, rssBase / 1024.0, rssEnd / 1024.0,
                        maxRss / 1024.0);

                assertThat(corrupted).as("exchanges whose bytes came back wrong").isEmpty();
                for (int i = 0; i < cut.size(); i++) {
                    long[] c = cut.get(i);
                    assertThat(kills.stream().anyMatch(k -> c[0] - 1_000_000_000L <= k && k <= c[1]))
                            .as("a transfer cut with no proxy killed while it ran: " + cutWhy.get(i)).isTrue();
                }
                assertThat(count(completed, "bulk")).isGreaterThan(0);
                assertThat(count(completed, "short")).isGreaterThan(100);
                assertThat(lines).isEqualTo(snapshot(opened));
                assertThat(reloads).isGreaterThanOrEqualTo((int) (seconds / 30) - 1);
                assertThat(killed).isGreaterThanOrEqualTo(1);
                assertThat(fdEnd).as("descriptors after the soak, warm-up had " + fdBase)
                        .isLessThanOrEqualTo(fdBase + FD_BOUND);
                assertThat(heapEnd).as("heap after a full GC, warm-up had " + heapBase)
                        .isLessThanOrEqualTo(heapBase + HEAP_BOUND);
                assertThat(gw.err).as("no stack trace in the gateway's log")
                        .noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception in thread"));
            }
        }
    }

    // ---- the origin: after the ClientHello record, one command line ----

    static void serve(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] head = in.readNBytes(5);
        if (head.length < 5) {
            return;
        }
        in.readNBytes(((head[3] & 0xff) << 8) | (head[4] & 0xff));
        String[] cmd = Clients.readLine(in).split(" ");
        switch (cmd[0]) {
            case "DOWN" -> {
                Clients.send(out, Long.parseLong(cmd[1]), Long.parseLong(cmd[2]));
                in.read(); // until the client closes
            }
            case "UP" -> {
                String sha = Clients.receive(in, Long.parseLong(cmd[1]));
                out.write((sha + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in.read();
            }
            case "ECHO" -> { // echo until EOF (short tunnels and idle holders)
                byte[] buf = new byte[8192];
                int k;
                while ((k = in.read(buf)) >= 0) {
                    out.write(buf, 0, k);
                    out.flush();
                }
            }
            default -> throw new IOException("unknown command " + Arrays.toString(cmd));
        }
    }

    // ---- the clients ----

    final List<Socket> sockets = new CopyOnWriteArrayList<>();

    Socket open(int port, String listener) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        opened.computeIfAbsent(listener, k -> new AtomicLong()).incrementAndGet();
        s.setTcpNoDelay(true);
        s.setSoTimeout(30_000);
        return s;
    }

    void closeAll() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }

    void bulkExchange(int port, long seed, boolean down) throws Exception {
        long t0 = System.nanoTime();
        try (Socket s = open(port, "bulk")) {
            try {
                OutputStream out = s.getOutputStream();
                out.write(hello);
                if (down) {
                    out.write(("DOWN " + BULK + " " + seed + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String got = Clients.receive(s.getInputStream(), BULK);
                    String want = Clients.send(OutputStream.nullOutputStream(), BULK, seed);
                    check(got.equals(want), "bulk down " + seed + ": sha " + got + ", want " + want);
                } else {
                    out.write(("UP " + BULK + "\n").getBytes(StandardCharsets.US_ASCII));
                    String sent = Clients.send(out, BULK, seed);
                    String got = line(s.getInputStream());
                    check(got.equals(sent), "bulk up " + seed + ": origin's sha " + got + ", sent " + sent);
                }
                bytesChecked.addAndGet(BULK);
                completed.computeIfAbsent("bulk", k -> new AtomicLong()).incrementAndGet();
            } catch (IOException e) {
                cut(t0, "bulk " + (down ? "down" : "up") + " " + seed + ": " + e);
            }
        } finally {
            sockets.removeIf(Socket::isClosed);
        }
    }

    /** One line up to '\n'; an end of stream before it is a cut (an IOException), not a wrong answer. */
    static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("EOF before the origin's answer (" + sb.length() + " bytes of it)");
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    void shortExchange(int port, SplittableRandom r) throws Exception {
        long t0 = System.nanoTime();
        byte[] data = new byte[SHORT];
        r.nextBytes(data);
        try (Socket s = open(port, "short")) {
            try {
                OutputStream out = s.getOutputStream();
                out.write(hello);
                out.write("ECHO\n".getBytes(StandardCharsets.US_ASCII));
                out.write(data);
                out.flush();
                byte[] got = s.getInputStream().readNBytes(SHORT);
                if (got.length < SHORT) {
                    throw new IOException("EOF after " + got.length + " of " + SHORT + " bytes");
                }
                check(Arrays.equals(got, data), "short echo: different bytes back");
                completed.computeIfAbsent("short", k -> new AtomicLong()).incrementAndGet();
            } catch (IOException e) {
                cut(t0, "short: " + e);
            }
        } finally {
            sockets.removeIf(Socket::isClosed);
        }
    }

    /** Holds a tunnel open without a byte until the soak ends (or a kill ends it), then checks it still echoes. */
    void idleTunnel(int port) throws Exception {
        long t0 = System.nanoTime();
        try (Socket s = open(port, "idle")) {
            try {
                s.setSoTimeout(500);
                OutputStream out = s.getOutputStream();
                out.write(hello);
                out.write("ECHO\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                while (running.get()) {
                    try {
                        if (s.getInputStream().read() < 0) {
                            throw new IOException("idle tunnel closed by the gateway");
                        }
                        check(false, "idle tunnel: a byte nobody sent");
                    } catch (java.net.SocketTimeoutException e) {
                        // still open, still silent
                    }
                }
                s.setSoTimeout(10_000);
                out.write('!');
                out.flush();
                check(s.getInputStream().read() == '!', "idle tunnel: the last echo did not come back");
                completed.computeIfAbsent("idle", k -> new AtomicLong()).incrementAndGet();
            } catch (IOException e) {
                if (running.get()) {
                    cut(t0, "idle: " + e);
                }
            }
        } finally {
            sockets.removeIf(Socket::isClosed);
        }
    }

    /** Half a hello, then nothing: the gateway must end it at its client_hello timeout. */
    void slowloris(int port) throws Exception {
        try (Socket s = open(port, "slow")) {
            s.getOutputStream().write(hello, 0, hello.length / 2);
            s.getOutputStream().flush();
            try {
                while (s.getInputStream().read() >= 0) {
                    check(false, "slowloris: the gateway answered a half hello");
                }
            } catch (IOException e) {
                // the gateway's reset: expected
            }
        } catch (IOException e) {
            // closed at the end of the soak
        } finally {
            sockets.removeIf(Socket::isClosed);
        }
    }

    void check(boolean ok, String what) {
        if (!ok) {
            corrupted.add(what);
        }
    }

    void cut(long t0, String why) {
        if (!running.get() && why.startsWith("idle")) {
            return; // an idle holder closed at the end
        }
        cut.add(new long[] {t0, System.nanoTime()});
        cutWhy.add(why);
    }

    Thread worker(String name, ThrowingRunnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                if (running.get()) {
                    corrupted.add(name + " died: " + e);
                }
            }
        }, "soak-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---- the gateway ----

    static void writeConfig(Path config, int[] ports, int admin, int origin, int proxyA, int proxyB, Path accessLog,
                            String connect) throws IOException {
        String yaml = """
                listeners:
                  - { name: bulk, listen: 127.0.0.1:%d, default_port: %d }
                  - { name: short, listen: 127.0.0.1:%d, default_port: %d }
                  - { name: idle, listen: 127.0.0.1:%d, default_port: %d }
                  - { name: slow, listen: 127.0.0.1:%d, default_port: %d }
                clients: [127.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [http://127.0.0.1:%d, http://127.0.0.1:%d]
                    health: { fall: 1, rise: 1 }
                rules:
                  - { name: soak, sni: [localhost], action: splice, upstream: corp }
                timeouts: { client_hello: 2s, connect: %s, idle: 10m }
                limits: { max_connections: 5000, max_connections_per_client: 5000 }
                access_log: %s
                admin: { listen: 127.0.0.1:%d }
                """.formatted(ports[0], origin, ports[1], origin, ports[2], origin, ports[3], origin, proxyA, proxyB,
                connect, accessLog, admin);
        Path tmp = config.resolveSibling("gateway.yaml.new");
        Files.writeString(tmp, yaml);
        Files.move(tmp, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** No client connection open in the gateway (its own gauge), and the descriptor count settled. */
    static void awaitQuiet(GatewayProcess gw, int admin) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            return Metrics.scrape(admin).sample("sluice_connections_active", -1) == 0;
        });
        int[] last = {-1};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            int now = gw.openFds();
            boolean same = now == last[0];
            last[0] = now;
            return same;
        });
    }

    /** Access-log lines by listener, once the count stops changing (the writer drains every 20 ms). */
    Map<String, Long> awaitAccessLog(Path file) {
        Map<String, Long> want = snapshot(opened);
        Map<String, Long>[] got = new Map[1];
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                got[0] = byField(file, "listener");
                return got[0].equals(want);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // the assertion shows the difference
        }
        return got[0];
    }

    static Map<String, Long> outcomes(Path file) throws IOException {
        return new TreeMap<>(byField(file, "outcome"));
    }

    static Map<String, Long> byField(Path file, String field) throws IOException {
        try (var lines = Files.lines(file)) {
            return lines.map(l -> dev.sluice.testing.RunningGateway.field(l, field))
                    .collect(Collectors.groupingBy(v -> v, Collectors.counting()));
        }
    }

    static Map<String, Long> snapshot(Map<String, AtomicLong> m) {
        return m.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
    }

    static long count(Map<String, AtomicLong> m, String key) {
        AtomicLong v = m.get(key);
        return v == null ? 0 : v.get();
    }

    /** A real tinyproxy (Debian's), in the foreground, on a port of its own that it keeps across restarts. */
    static final class Tinyproxy implements AutoCloseable {
        final int port;
        final Path dir;
        Process process;

        private Tinyproxy(Path dir, int port) {
            this.dir = dir;
            this.port = port;
        }

        static Tinyproxy start(Path dir) throws Exception {
            Files.createDirectories(dir);
            Tinyproxy t = new Tinyproxy(dir, GatewayProcess.freePort());
            Files.writeString(dir.resolve("tinyproxy.conf"), """
                    Port %d
                    Listen 127.0.0.1
                    Timeout 3600
                    MaxClients 4000
                    LogLevel Warning
                    """.formatted(t.port));
            t.restart();
            return t;
        }

        void restart() throws Exception {
            process = new ProcessBuilder("tinyproxy", "-d", "-c", dir.resolve("tinyproxy.conf").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("tinyproxy.log").toFile()).start();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                    .until(() -> {
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                            return true;
                        }
                    });
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL: no goodbye to anyone
            process.waitFor();
        }

        @Override
        public void close() throws InterruptedException {
            if (process != null) {
                kill();
            }
        }
    }
}
