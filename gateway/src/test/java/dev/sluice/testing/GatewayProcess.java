package dev.sluice.testing;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code sluice run --config FILE} as a real process started from the test classpath, as systemd or a shell
 * runs it: its stderr (the gateway's own log) and stdout (the access log, by default) collected line by line,
 * signals sent with kill(1), and the moment it exited recorded. Always {@link #close()} it (destroys it).
 */
public final class GatewayProcess implements AutoCloseable {
    public final Process process;
    /** The gateway's own log (stderr), one entry a line. */
    public final List<String> err = new CopyOnWriteArrayList<>();
    /** stdout: the access log when {@code access_log: stdout}. */
    public final List<String> out = new CopyOnWriteArrayList<>();
    private final Thread errReader;
    private final Thread outReader;
    /** System.nanoTime() when the process was seen to exit. */
    private final CompletableFuture<Long> exited;

    private GatewayProcess(Process process) {
        this.process = process;
        this.errReader = reader(process.getErrorStream(), err, "sluice-stderr");
        this.outReader = reader(process.getInputStream(), out, "sluice-stdout");
        this.exited = process.onExit().thenApply(p -> System.nanoTime());
    }

    /**
     * The first lines of a configuration: listener {@code https} on 127.0.0.1:{@code port}, clients 127.0.0.0/8,
     * upstream {@code corp} with the one proxy on {@code proxyPort}, and rule {@code go} splicing {@code sni} through
     * it. The test adds the rest (access_log, admin, timeouts).
     */
    public static String oneRoute(int port, int proxyPort, String sni) {
        return """
                listeners: [{ name: https, listen: 127.0.0.1:%d }]
                clients: [127.0.0.0/8]
                upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                rules: [{ name: go, sni: [%s], action: splice, upstream: corp }]
                """.formatted(port, proxyPort, sni);
    }

    /** Starts the gateway on {@code config}; {@code env} entries with a null value are removed from the environment. */
    public static GatewayProcess start(Path config, Map<String, String> env) throws IOException {
        return start(config, env, List.of());
    }

    /** As {@link #start(Path, Map)}, with JVM options (the systemd unit's, for memory figures: {@link #UNIT_JVM}). */
    public static GatewayProcess start(Path config, Map<String, String> env, List<String> jvmOptions)
            throws IOException {
        return start(config, env, jvmOptions, 0);
    }

    /**
     * As {@link #start(Path, Map, List)}, with at most {@code maxFiles} open file descriptors (soft and hard, set
     * with prlimit(1), so the JVM cannot raise it); 0 for the limit the tests run with.
     */
    public static GatewayProcess start(Path config, Map<String, String> env, List<String> jvmOptions, int maxFiles)
            throws IOException {
        if (maxFiles > 0) {
            List<String> prlimit = List.of("prlimit", "--nofile=" + maxFiles + ":" + maxFiles, "--");
            return start(prlimit, config, env, jvmOptions, true);
        }
        return start(List.of(), config, env, jvmOptions, false);
    }

    /**
     * As {@link #start(Path, Map)}, run by {@code wrapper} (a command that ends by exec'ing its arguments, such as
     * {@code unshare}, so the process's pid is the gateway's).
     */
    public static GatewayProcess startWrapped(List<String> wrapper, Path config, Map<String, String> env)
            throws IOException {
        return start(wrapper, config, env, List.of(), false);
    }

    private static GatewayProcess start(List<String> wrapper, Path config, Map<String, String> env,
            List<String> jvmOptions, boolean jarred) throws IOException {
        List<String> command = new java.util.ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        String classPath = jarred ? jarredClassPath() : System.getProperty("java.class.path");
        command.addAll(List.of("-cp", classPath, "dev.sluice.Sluice", "run", "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        // whatever the build runs under must not leak in: these change how the gateway logs and notifies
        pb.environment().remove("JOURNAL_STREAM");
        pb.environment().remove("NOTIFY_SOCKET");
        pb.environment().remove("WATCHDOG_USEC");
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return new GatewayProcess(pb.start());
    }

    private static String jarredClassPath;

    /**
     * The test class path with each directory (target/classes...) packed into a jar, as the gateway really runs:
     * a class loaded late (on an error path) then needs no new file descriptor, where a directory entry does.
     */
    private static synchronized String jarredClassPath() throws IOException {
        if (jarredClassPath == null) {
            List<String> out = new java.util.ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (!java.nio.file.Files.isDirectory(p)) {
                    out.add(entry);
                    continue;
                }
                Path jar = java.nio.file.Files.createTempFile("sluice-classes-", ".jar");
                jar.toFile().deleteOnExit();
                try (var zip = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(jar));
                        var files = java.nio.file.Files.walk(p)) {
                    for (Path f : (Iterable<Path>) files.filter(java.nio.file.Files::isRegularFile)::iterator) {
                        zip.putNextEntry(new java.util.zip.ZipEntry(p.relativize(f).toString().replace('\\', '/')));
                        java.nio.file.Files.copy(f, zip);
                        zip.closeEntry();
                    }
                }
                out.add(jar.toString());
            }
            jarredClassPath = String.join(java.io.File.pathSeparator, out);
        }
        return jarredClassPath;
    }

    public static GatewayProcess start(Path config) throws IOException {
        return start(config, Map.of());
    }

    private static Thread reader(InputStream in, List<String> into, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    into.add(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Netty's leak detector at {@code paranoid} in the gateway process: every buffer tracked, a leak logged as an
     * ERROR line with {@code LEAK:} on stderr ({@link #leaks()}). See {@link NettyLeaks} for the same in this JVM.
     */
    public static final String PARANOID_LEAKS = "-Dio.netty.leakDetection.level=paranoid";

    /** The JVM flags of {@code conf/jvm.options} (what the service runs with; LauncherTest holds them equal). */
    public static final List<String> UNIT_JVM = List.of("-Xms16m", "-Xmx512m", "-Xmn8m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:+ExitOnOutOfMemoryError",
            "-Dio.netty.jfr.enabled=false", "-Dio.netty.leakDetection.level=disabled");

    /** The process's resident set (VmRSS), in KiB. */
    public long rssKiB() throws IOException {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + process.pid());
    }

    /** The process's open file descriptors, counted in /proc/PID/fd. */
    public int openFds() throws IOException {
        try (var s = java.nio.file.Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return (int) s.count();
        }
    }

    /**
     * A full GC in the gateway (jcmd GC.run), then its heap in use after it, in bytes (jcmd GC.heap_info's
     * "used" of the whole heap: young plus old for the serial collector).
     */
    public long heapUsedAfterGc() throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = Long.toString(process.pid());
        Process gc = new ProcessBuilder(jcmd, pid, "GC.run").redirectErrorStream(true).start();
        String gcOut = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (gc.waitFor() != 0) {
            throw new IllegalStateException("jcmd GC.run failed: " + gcOut);
        }
        Process info = new ProcessBuilder(jcmd, pid, "GC.heap_info").redirectErrorStream(true).start();
        String text = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        info.waitFor();
        long used = 0;
        // " def new generation   total 7424K, used 1230K [...]" and " tenured generation   total 8192K, used 5123K"
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("generation\\s+total \\d+K, used (\\d+)K")
                .matcher(text);
        while (m.find()) {
            used += Long.parseLong(m.group(1)) * 1024;
        }
        if (used == 0) {
            m = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(text);
            if (m.find()) {
                used = Long.parseLong(m.group(1)) * 1024;
            }
        }
        if (used == 0) {
            throw new IllegalStateException("cannot read the heap from jcmd GC.heap_info:\n" + text);
        }
        return used;
    }

    /** A port on 127.0.0.1 that is free now (for listeners that must be known before the gateway starts). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A port on 127.0.0.1, free now for TCP and UDP, below the kernel's ephemeral range: unlike {@link #freePort},
     * no connection and no port-0 listener started meanwhile (this test's own gateways among them) can take it
     * before the gateway that was told it binds it. For ports that must all be known before several gateways start.
     */
    public static int portOutsideEphemeralRange() throws IOException {
        int low = 32768;
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (Files.isReadable(range)) {
            // not readString: it reads a /proc file short (its size says 0)
            low = Integer.parseInt(Files.readAllLines(range).get(0).trim().split("\\s+")[0]);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int tries = 0; tries < 200; tries++) {
            int port = random.nextInt(Math.max(1025, low - 12000), low);
            try (ServerSocket tcp = new ServerSocket(port, 1, loopback);
                    DatagramSocket udp = new DatagramSocket(port, loopback)) {
                return port;
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IOException("no free port below the ephemeral range (" + low + ") in 200 tries");
    }

    public void signal(String name) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + rc);
        }
    }

    /** Waits for a log (stderr) line that matches and returns it. */
    public String awaitErr(Predicate<String> p, Duration atMost) {
        return await().atMost(atMost).pollInterval(Duration.ofMillis(10))
                .until(() -> err.stream().filter(p).findFirst().orElse(null), l -> l != null);
    }

    /** Waits for a stdout line that matches and returns it. */
    public String awaitOut(Predicate<String> p, Duration atMost) {
        return await().atMost(atMost).pollInterval(Duration.ofMillis(10))
                .until(() -> out.stream().filter(p).findFirst().orElse(null), l -> l != null);
    }

    /** Waits for the exit and for both streams to be read to their end; returns the exit code. */
    public int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the gateway did not exit within " + atMost + "; its log:\n" + log());
        }
        errReader.join(5000);
        outReader.join(5000);
        return process.exitValue();
    }

    /** System.nanoTime() at the exit (after {@link #awaitExit}). */
    public long exitNanos() {
        return exited.join();
    }

    /** One admin-listener GET: "status body". */
    public static HttpResponse<String> get(int adminPort, String path) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The {@code LEAK:} lines of Netty's leak detector in the gateway's log so far. */
    public List<String> leaks() {
        return err.stream().filter(l -> l.contains("LEAK:")).toList();
    }

    /** Both streams, for a failure message. */
    public String log() {
        return "--- stderr\n" + String.join("\n", err) + "\n--- stdout\n" + String.join("\n", out);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
