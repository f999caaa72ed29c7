package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Tools;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo/run}, the README's five-minute demo, run as a newcomer runs it (a real bash, keytool, curl, the demo
 * servers, and the gateway started by {@code bin/sluice}), so the demo cannot go stale. The gateway is the one this
 * build compiled: {@code mvn test} runs before the jar exists, so {@code SLUICE_JAR} is a jar whose manifest names
 * the test class path. Every file the demo makes is under this test's own directory ({@code TMPDIR}).
 */
class DemoScriptTest {
    static final Path SCRIPT = Path.of("..", "demo", "run");
    static final Duration AT_MOST = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    Path tmp;

    record Run(int code, String out) {
    }

    @BeforeEach
    void tmp() throws IOException {
        // Debian's base system has no curl
        Tools.require("curl", "curl is not installed (apt-get install curl); the demo shows what curl sees");
        tmp = Files.createDirectory(dir.resolve("tmp"));
    }

    @Test
    @Timeout(180)
    void theAllowedNameIsServedTheOtherRefusedAndBothAreInTheAccessLog() throws Exception {
        Run r = demo(Map.of("SLUICE_JAR", thisBuildsJar().toString()));

        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out()).contains("bin/sluice check --config sluice.yaml", "bin/sluice run --config sluice.yaml");
        // every line is the tutorial's: a heading or indented; a stray "grep: ..." or "demo/run: line 9: ..." is not
        assertThat(r.out().lines().filter(l -> !l.isEmpty() && !l.startsWith(" "))).as(r.out())
                .allMatch(l -> l.matches("(\\d+\\. |Sluice demo: |The rules allow |Working directory |Demo passed: ).*"));
        List<String> lines = r.out().lines().map(String::strip).toList();
        // the allowed name: the origin's page, through the proxy, over the client's own TLS session
        assertThat(lines).as(r.out()).contains(
                "Hello from the demo origin on 127.0.0.1:" + originPort(lines) + ", standing in for proxy.golang.org.");
        assertThat(r.out()).contains("Your TLS session ended here, not in Sluice:")
                .containsPattern("proxy: CONNECT proxy.golang.org:443 HTTP/1.1 from 127\\.0\\.0\\.1:\\d+ -> origin");
        // the refused name: curl's own error, whatever the refusal looks like on the wire, and a non-zero status
        int refusedCurl = indexOf(lines, l -> l.startsWith("$ curl ") && l.contains("https://example.com/"));
        assertThat(lines.get(refusedCurl + 1)).as(r.out()).startsWith("curl: (");
        assertThat(lines.get(refusedCurl + 2)).as(r.out()).matches("curl exited with status [1-9][0-9]*: .*");
        assertThat(r.out()).contains("The proxy was never asked for example.com.").doesNotContain("CONNECT example.com");
        // the access log, as the demo prints it
        assertThat(accessLogLine(lines, "proxy.golang.org")).contains("\"rule\":\"go\"", "\"action\":\"splice\"",
                "\"target\":\"proxy.golang.org:443\"", "\"outcome\":\"ok\"", "\"error\":null");
        assertThat(accessLogLine(lines, "example.com")).contains("\"rule\":\"default\"", "\"action\":\"reject\"",
                "\"proxy\":null", "\"outcome\":\"rejected\"");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("Demo passed: proxy.golang.org was served through the proxy"
                + " (outcome ok), example.com was refused (outcome rejected).");
        assertThat(readmeExcerptMissingFrom(r.out())).as("README.md's demo output, line by line, in this run's\n"
                + r.out()).isEmpty();
        assertCleanedUp();
    }

    /**
     * The lines the README shows under {@code $ demo/run} that this run did not print, in that order: a line "..."
     * stands for lines left out, "..." within a line for text left out (curl's wording before the alert's name
     * differs between its versions), and numbers (ports, times, sizes) may differ.
     */
    static List<String> readmeExcerptMissingFrom(String output) throws IOException {
        List<String> shown = ReadmeCommandsTest.blocks().flatMap(List::stream)
                .filter(step -> step.command().equals("demo/run")).findFirst().orElseThrow().expected().lines()
                .filter(l -> !l.equals("...") && !l.isBlank()).toList();
        assertThat(shown).hasSizeGreaterThan(10);
        List<String> printed = output.lines().map(DemoScriptTest::anyNumber).toList();
        List<String> missing = new java.util.ArrayList<>();
        int at = 0;
        for (String line : shown) {
            java.util.regex.Pattern p = java.util.regex.Pattern.compile(java.util.Arrays.stream(
                    anyNumber(line).split("\\.\\.\\.", -1)).map(java.util.regex.Pattern::quote)
                    .collect(java.util.stream.Collectors.joining(".*")));
            int found = -1;
            for (int i = at; i < printed.size() && found < 0; i++) {
                found = p.matcher(printed.get(i)).matches() ? i - at : -1;
            }
            if (found < 0) {
                missing.add(line);
            } else {
                at += found + 1;
            }
        }
        return missing;
    }

    private static String anyNumber(String line) {
        return line.replaceAll("\\d+", "N");
    }

    @Test
    @Timeout(180)
    void aGatewayThatDoesNotStartFailsTheDemoWithItsMessageAndLeavesNothingBehind() throws Exception {
        Run r = demo(Map.of("SLUICE_CMD", launcher("""
                case "$1" in
                  check) echo "$3: OK (a gateway that will not run)" ;;
                  *) echo "listener demo: cannot bind: Address already in use" >&2; exit 1 ;;
                esac""").toString()));

        assertThat(r.code()).as(r.out()).isEqualTo(1);
        assertThat(r.out()).contains("DEMO FAILED: Sluice exited (status 1) before it was ready",
                "listener demo: cannot bind: Address already in use").doesNotContain("Demo passed");
        assertCleanedUp();
    }

    @Test
    @Timeout(180)
    void stoppedHalfWayItStopsWhatItStartedAndRemovesItsFiles() throws Exception {
        Process p = start(Map.of("SLUICE_JAR", thisBuildsJar().toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = drain(p.getInputStream(), out);
        try {
            await().atMost(AT_MOST).pollInterval(Duration.ofMillis(50))
                    .until(() -> out.toString(StandardCharsets.UTF_8).contains("/readyz\n     ok\n"));
            // SIGTERM to the script, as `kill` sends it (Process.destroy would also close the pipe it writes to)
            assertThat(p.toHandle().destroy()).isTrue();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the demo did not stop: " + out).isTrue();
            reader.join(5000);
            assertThat(p.exitValue()).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(143);
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("Stop everything and clean up",
                    "# Sluice: on SIGTERM", "# the demo servers", "$ rm -rf " + tmp);
            assertCleanedUp();
        } finally {
            kill(p);
        }
    }

    /** Everything the demo made is gone, and nothing it started still runs in its directory (killed if it does). */
    private void assertCleanedUp() throws IOException {
        assertThat(tmp).isEmptyDirectory();
        Path real = tmp.toRealPath();
        List<ProcessHandle> left = ProcessHandle.allProcesses().filter(ph -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", Long.toString(ph.pid()), "cwd")).startsWith(real);
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false; // gone, or not ours to look at
            }
        }).toList();
        List<String> described = left.stream().map(ph -> ph.pid() + " " + ph.info().commandLine()
                .map(c -> c.length() > 200 ? c.substring(0, 100) + " ... " + c.substring(c.length() - 100) : c)
                .orElse("?")).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        assertThat(described).as("processes still running in the demo's directory").isEmpty();
    }

    private Run demo(Map<String, String> env) throws Exception {
        Process p = start(env);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = drain(p.getInputStream(), out);
        try {
            if (!p.waitFor(AT_MOST.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("demo/run did not finish within " + AT_MOST + ":\n"
                        + out.toString(StandardCharsets.UTF_8));
            }
            reader.join(5000);
            return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } finally {
            kill(p);
        }
    }

    private Process start(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(SCRIPT.toString()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        pb.environment().putAll(env);
        pb.environment().put("TMPDIR", tmp.toString());
        // a developer's proxy settings must not reach the demo's curl: these would send it to a closed port
        pb.environment().put("https_proxy", "http://127.0.0.1:1");
        pb.environment().put("HTTPS_PROXY", "http://127.0.0.1:1");
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.writeString(home.resolve(".curlrc"), "proxy = \"http://127.0.0.1:1\"\n");
        pb.environment().put("HOME", home.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // what the build runs under must not change how the gateway logs or notifies
        pb.environment().remove("JOURNAL_STREAM");
        pb.environment().remove("NOTIFY_SOCKET");
        pb.environment().remove("WATCHDOG_USEC");
        return pb.start();
    }

    /**
     * The gateway this build compiled, as a jar for {@code java -jar} (what bin/sluice runs): no classes, only a
     * manifest whose Class-Path names the test class path (the real jar does not exist yet at mvn test).
     */
    private Path thisBuildsJar() throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(Attributes.Name.MAIN_CLASS, "dev.sluice.Sluice");
        main.put(Attributes.Name.CLASS_PATH, Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toUri().toString()).collect(Collectors.joining(" ")));
        Path jar = dir.resolve("sluice.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            // the manifest is the whole jar
        }
        return jar;
    }

    /** A sluice command for SLUICE_CMD: a shell script with this body. */
    private Path launcher(String body) throws IOException {
        Path f = dir.resolve("sluice");
        Files.writeString(f, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        return f;
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream into) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (into) {
                        into.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "demo-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** On a failed assertion or a timeout: the script and whatever it started. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static String originPort(List<String> lines) {
        String line = lines.stream().filter(l -> l.startsWith("proxy on ")).findFirst().orElseThrow();
        return line.replaceFirst("^proxy on [0-9.]+:\\d+, origin on 127\\.0\\.0\\.1:(\\d+);.*", "$1");
    }

    private static String accessLogLine(List<String> lines, String sni) {
        int cat = indexOf(lines, l -> l.equals("$ cat access.log"));
        return lines.subList(cat + 1, lines.size()).stream()
                .filter(l -> l.startsWith("{") && l.contains("\"sni\":\"" + sni + "\""))
                .findFirst().orElseThrow(() -> new AssertionError("no access-log line for " + sni + " in:\n"
                        + String.join("\n", lines)));
    }

    private static int indexOf(List<String> lines, java.util.function.Predicate<String> p) {
        for (int i = 0; i < lines.size(); i++) {
            if (p.test(lines.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such line in:\n" + String.join("\n", lines));
    }
}
