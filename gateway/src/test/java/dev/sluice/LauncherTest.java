package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.NotifySocket;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice}, the launcher, driven as systemd and an operator run it: the real script, with a fake
 * {@code java} (a shell script that prints its PID and argv) to see exactly what it exec's, and once with the real
 * JDK and a real jar. Everything it reads is in this test's own directory: {@code SLUICE_CONF_DIR} points there,
 * so /etc/sluice is never looked at, and the environment starts empty.
 */
class LauncherTest {
    static final Path SCRIPT = Path.of("..", "bin", "sluice").toAbsolutePath().normalize();
    static final Path SHIPPED_OPTIONS = Path.of("..", "conf", "jvm.options").toAbsolutePath().normalize();
    static final List<String> SERVICE_FLAGS = GatewayProcess.UNIT_JVM;
    static final List<String> LIGHT_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    static final Path CDS_SCRIPT = Path.of("..", "bin", "sluice-cds").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    /** A jar that {@code java -jar} runs as it would gateway/target/sluice.jar: this build's classes, by manifest. */
    static Path realJar;

    @BeforeAll
    static void jarOfThisBuild(@TempDir Path jars) throws IOException {
        // `mvn test` runs before `package`: gateway/target/sluice.jar may be missing or stale. A jar whose manifest
        // names the test class path (target/classes and the dependency jars) runs exactly this build's code.
        List<String> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(entry).toAbsolutePath().toUri().toString());
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.sluice.Sluice");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
        m.getMainAttributes().putValue("Enable-Native-Access", "ALL-UNNAMED"); // as the real jar's: no warning on 22+
        realJar = jars.resolve("sluice.jar");
        try (OutputStream out = Files.newOutputStream(realJar); JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
    }

    record Result(int code, List<String> out, String err, long pid) {
        /** What the fake java printed: its argv, one entry each. */
        List<String> argv() {
            return out.stream().filter(l -> l.startsWith("arg=")).map(l -> l.substring(4)).toList();
        }

        long javaPid() {
            return out.stream().filter(l -> l.startsWith("pid=")).mapToLong(l -> Long.parseLong(l.substring(4)))
                    .findFirst().orElse(-1);
        }
    }

    /** A fake JDK at {@code home}: bin/java answers -version with {@code version}, else prints $$ and its argv. */
    static Path fakeJdk(Path home, String version, boolean releaseFile) throws IOException {
        Path java = home.resolve("bin").resolve("java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, """
                #!/bin/bash
                if [ "$1" = -version ]; then
                  echo 'openjdk version "%s" 2024-01-16' >&2
                  echo 'OpenJDK Runtime Environment (build %s)' >&2
                  exit 0
                fi
                printf 'pid=%%s\\n' "$$"
                for a in "$@"; do printf 'arg=%%s\\n' "$a"; done
                """.formatted(version, version));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (releaseFile) {
            Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        }
        return java;
    }

    /** A directory holding only the tools the launcher needs (bash, env, readlink): no java. */
    Path toolsWithoutJava() throws IOException {
        Path tools = dir.resolve("tools");
        Files.createDirectories(tools);
        for (String t : List.of("bash", "env", "readlink")) {
            Path real = Path.of("/usr/bin", t);
            if (!Files.exists(real)) {
                real = Path.of("/bin", t);
            }
            Files.createSymbolicLink(tools.resolve(t), real);
        }
        return tools;
    }

    Path etc() throws IOException {
        return Files.createDirectories(dir.resolve("etc"));
    }

    /** The environment of every run: nothing inherited but what the test gives (null removes an entry). */
    Map<String, String> env(String... kv) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/bin:/bin");
        env.put("SLUICE_CONF_DIR", etc().toString());
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return env;
    }

    static Result run(Path script, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        env.forEach((k, v) -> {
            if (v != null) {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList(),
                new String(err, StandardCharsets.UTF_8), p.pid());
    }

    static List<String> concat(List<?>... parts) {
        List<String> all = new ArrayList<>();
        for (List<?> p : parts) {
            p.forEach(x -> all.add(x.toString()));
        }
        return all;
    }

    Path jar() throws IOException {
        Path jar = dir.resolve("sluice.jar");
        if (!Files.exists(jar)) {
            Files.writeString(jar, "not really a jar: the fake java never opens it");
        }
        return jar;
    }

    @Test
    void execsJavaWithTheFlagsOfJvmOptionsBesideTheConfigurationAndSluiceJavaOptsAfterThem() throws Exception {
        Path java = fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Path yaml = conf.resolve("gateway.yaml");
        Files.writeString(conf.resolve("jvm.options"), Files.readString(SHIPPED_OPTIONS)
                + "\n   # an indented comment, then a blank line and a flag with blanks, indented, with a CR\n\n"
                + "  -Dsluice.note=a b c \r\n");
        Result r = run(SCRIPT, env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar().toString(),
                "SLUICE_JAVA_OPTS", " -Xmx64m  -Dextra=1 "), "run", "--config", yaml.toString());

        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS,
                List.of("-Dsluice.note=a b c", "-Xmx64m", "-Dextra=1", "-jar", jar(), "run", "--config", yaml)));
        // exec: the process the launcher started is the JVM itself, no wrapper left (systemd's main PID)
        assertThat(r.javaPid()).isEqualTo(r.pid());
        assertThat(java).exists();
    }

    @Test
    void theShippedJvmOptionsHoldTheFlagsTheMemoryTestsAndTheBenchmarkChose() throws Exception {
        fakeJdk(dir.resolve("jdk"), "21.0.2", true);
        Result r = run(SCRIPT, env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar().toString(),
                "SLUICE_JVM_OPTIONS", SHIPPED_OPTIONS.toString()), "run", "--config", "/nonexistent/gateway.yaml");
        assertThat(r.argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS,
                List.of("-jar", jar(), "run", "--config", "/nonexistent/gateway.yaml")));
    }

    @Test
    void checkExplainAndVersionGetLightFlagsAndOnlyThePropertiesOfJvmOptions() throws Exception {
        fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path conf = Files.createDirectories(dir.resolve("conf"));
        String options = "-Xmx512m\n-XX:+UseSerialGC\n-Djava.security.krb5.conf=/k.conf\n";
        Files.writeString(conf.resolve("jvm.options"), options);
        Files.writeString(etc().resolve("jvm.options"), options); // for --help: the default configuration's directory
        Path yaml = conf.resolve("gateway.yaml");
        Map<String, String> env = env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar().toString(),
                "SLUICE_JAVA_OPTS", "-Dextra=1");
        for (List<String> args : List.of(List.of("check", "--config", yaml.toString()),
                List.of("explain", "-c", yaml.toString(), "--sni", "run"), List.of("check", yaml.toString()),
                List.of("--help"))) {
            Result r = run(SCRIPT, env, args.toArray(String[]::new));
            assertThat(r.argv()).as("%s", args).containsExactlyElementsOf(concat(LIGHT_FLAGS,
                    List.of("-Djava.security.krb5.conf=/k.conf", "-Dextra=1", "-jar", jar()), args));
        }
    }

    @Test
    void findsJvmOptionsBesideTheConfigurationHoweverItIsNamedElseInTheConfDirectory() throws Exception {
        fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path a = Files.createDirectories(dir.resolve("a"));
        Files.writeString(a.resolve("jvm.options"), "-Dwhich=a\n");
        Files.writeString(etc().resolve("jvm.options"), "-Dwhich=etc\n");
        Files.writeString(dir.resolve("explicit.options"), "-Dwhich=explicit\n");
        Map<String, String> env = env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar().toString());
        String yaml = a.resolve("gw.yaml").toString();
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(List.of("run", "--config", yaml), "-Dwhich=a");
        cases.put(List.of("run", "-c", yaml), "-Dwhich=a");
        cases.put(List.of("run", "--config=" + yaml), "-Dwhich=a");
        cases.put(List.of("run", "-c" + yaml), "-Dwhich=a");
        cases.put(List.of("run", a.resolve("gw.yml").toString()), "-Dwhich=a");
        cases.put(List.of("--config", yaml), "-Dwhich=a");
        cases.put(List.of("run"), "-Dwhich=etc"); // the default configuration, SLUICE_CONF_DIR/gateway.yaml
        cases.put(List.of("run", "--config", dir.resolve("elsewhere/gw.yaml").toString()), "-Dwhich=etc");
        cases.forEach((args, which) -> {
            try {
                Result r = run(SCRIPT, env, args.toArray(String[]::new));
                assertThat(r.argv()).as("%s", args).containsExactlyElementsOf(
                        concat(List.of(which, "-jar", jar()), args));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        // a file first, then options: explain starts with the light flags and the file's -D lines
        assertThat(run(SCRIPT, env, "explain", yaml, "--sni", "proxy.golang.org").argv()).containsExactly(
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dwhich=a", "-jar", jar().toString(), "explain", yaml, "--sni",
                "proxy.golang.org");
        env.put("SLUICE_JVM_OPTIONS", dir.resolve("explicit.options").toString());
        assertThat(run(SCRIPT, env, "run", "--config", yaml).argv()).startsWith("-Dwhich=explicit");
        // no file anywhere: the JVM's defaults
        Files.delete(etc().resolve("jvm.options"));
        env.remove("SLUICE_JVM_OPTIONS");
        assertThat(run(SCRIPT, env, "run").argv()).containsExactly("-jar", jar().toString(), "run");
    }

    @Test
    void aJvmOptionsLineThatIsNoFlagIsRefusedWithItsFileAndLine() throws Exception {
        fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path options = dir.resolve("jvm.options");
        Files.writeString(options, "# heap\n-Xms16m\nXmx512m\n");
        Result r = run(SCRIPT, env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar().toString(),
                "SLUICE_JVM_OPTIONS", options.toString()), "run");
        assertThat(r.code()).isEqualTo(6);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("sluice: " + options + ":3: 'Xmx512m' is not a JVM flag (one flag a line, "
                + "each starting with -; # starts a comment line)\n");

        r = run(SCRIPT, env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar().toString(),
                "SLUICE_JVM_OPTIONS", dir.resolve("missing.options").toString()), "run");
        assertThat(r.code()).isEqualTo(6);
        assertThat(r.err()).isEqualTo("sluice: SLUICE_JVM_OPTIONS is " + dir.resolve("missing.options")
                + ", which is not a readable file\n");
    }

    @Test
    void refusesAJava11FromJavaHomeNamingWhatItFoundAndWhere() throws Exception {
        Path home = dir.resolve("jdk-11");
        fakeJdk(home, "11.0.22", true);
        Result r = run(SCRIPT, env("JAVA_HOME", home.toString(), "SLUICE_JAR", jar().toString()), "version");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("sluice: Java 17 or later is needed; found Java 11 (11.0.22) at "
                + home.resolve("bin/java") + " (from JAVA_HOME=" + home + ")\n");
        // under systemd: the priority err (journalctl -p err)
        r = run(SCRIPT, env("JAVA_HOME", home.toString(), "SLUICE_JAR", jar().toString(), "JOURNAL_STREAM", "8:1"),
                "version");
        assertThat(r.err()).startsWith("<3>sluice: Java 17 or later is needed; found Java 11 (11.0.22) at ");
    }

    @Test
    void refusesAJava8FoundInPathAskingItsVersionWhenThereIsNoReleaseFile() throws Exception {
        Path home = dir.resolve("jre8");
        fakeJdk(home, "1.8.0_392", false);
        Result r = run(SCRIPT, env("PATH", home.resolve("bin") + ":/usr/bin:/bin", "SLUICE_JAR", jar().toString()),
                "check");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).isEqualTo("sluice: Java 17 or later is needed; found Java 8 (1.8.0_392) at "
                + home.resolve("bin/java") + " (from PATH)\n");
    }

    @Test
    void takesJavaFromPathWhenJavaHomeIsUnsetAndSaysSoWhenThereIsNone() throws Exception {
        Path home = dir.resolve("jdk21");
        fakeJdk(home, "21.0.2", false);
        Result r = run(SCRIPT, env("PATH", home.resolve("bin") + ":/usr/bin:/bin", "SLUICE_JAR", jar().toString()),
                "version");
        assertThat(r.code()).isZero();
        assertThat(r.argv()).containsExactlyElementsOf(concat(LIGHT_FLAGS, List.of("-jar", jar(), "version")));

        Path tools = toolsWithoutJava();
        r = run(SCRIPT, env("PATH", tools.toString(), "SLUICE_JAR", jar().toString()), "version");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).isEqualTo("sluice: no Java: JAVA_HOME is not set and there is no java in PATH (" + tools
                + "); install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless)\n");

        r = run(SCRIPT, env("JAVA_HOME", dir.resolve("nojdk").toString(), "SLUICE_JAR", jar().toString()), "version");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).startsWith("sluice: JAVA_HOME is " + dir.resolve("nojdk") + " but "
                + dir.resolve("nojdk/bin/java") + " is not an executable file");
    }

    @Test
    void findsTheJarBesideItselfThroughASymlinkAndNamesThePlacesItLookedIn() throws Exception {
        // the Debian package's layout: /usr/bin/sluice -> ../share/sluice/bin/sluice, the jar in /usr/share/sluice
        fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path home = dir.resolve("usr/share/sluice");
        Path script = home.resolve("bin/sluice");
        Files.createDirectories(script.getParent());
        Files.copy(SCRIPT, script);
        Path link = Files.createDirectories(dir.resolve("usr/bin")).resolve("sluice");
        Files.createSymbolicLink(link, Path.of("../share/sluice/bin/sluice"));
        Files.createDirectories(home.resolve("lib"));
        Files.writeString(home.resolve("lib/sluice.jar"), "");
        Files.writeString(home.resolve("sluice.jar"), "");
        Map<String, String> env = env("JAVA_HOME", dir.resolve("jdk").toString());

        assertThat(run(link, env, "version").argv()).contains(home.resolve("lib/sluice.jar").toString());
        Files.delete(home.resolve("lib/sluice.jar"));
        assertThat(run(link, env, "version").argv()).contains(home.resolve("sluice.jar").toString());
        Files.delete(home.resolve("sluice.jar"));
        Result r = run(link, env, "version");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).isEqualTo("sluice: no sluice.jar: SLUICE_JAR is not set and none of " + home
                + "/lib/sluice.jar, " + home + "/sluice.jar, " + home + "/gateway/target/sluice.jar exists "
                + "(build it: mvn -DskipTests package)\n");
    }

    @Test
    void versionWithTheRealJdkAndARealJar() throws Exception {
        Result r = run(SCRIPT, env("JAVA_HOME", System.getProperty("java.home"), "SLUICE_JAR", realJar.toString(),
                "SLUICE_JVM_OPTIONS", SHIPPED_OPTIONS.toString()), "version");
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).hasSize(1);
        assertThat(r.out().get(0)).startsWith("sluice " + Version.get() + " (netty ")
                .contains("java " + System.getProperty("java.version"));
    }

    @Test
    void checkUnderTheJournalMarksEachErrorAsAnErrorForJournalctl() throws Exception {
        // ExecStartPre's check: journald gives a line starting <3> the priority err (journalctl -p err)
        Path cfg = dir.resolve("gateway.yaml");
        Files.writeString(cfg, "listeners: [{ name: https, listen: 127.0.0.1:1 }]\nclients: [nowhere]\n"
                + "rules: [{ name: default, action: reject }]\nlimits: { max_connections: lots }\n");
        Map<String, String> env = env("JAVA_HOME", System.getProperty("java.home"), "SLUICE_JAR", realJar.toString(),
                "SLUICE_JVM_OPTIONS", SHIPPED_OPTIONS.toString());
        Result plain = run(SCRIPT, env, "check", "--config", cfg.toString());
        env.put("JOURNAL_STREAM", "8:12345");
        Result journal = run(SCRIPT, env, "check", "--config", cfg.toString());

        assertThat(journal.code()).isEqualTo(plain.code()).isEqualTo(1);
        List<String> lines = plain.err().lines().toList();
        assertThat(lines).hasSize(2).allMatch(l -> l.startsWith(cfg + ":"));
        assertThat(journal.err().lines().toList()).containsExactlyElementsOf(lines.stream().map(l -> "<3>" + l).toList());
    }

    @Test
    void theRealGatewayRunsAsTheLaunchersOwnProcessNotifiesSystemdAndDrainsOnSigterm() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path yaml = dir.resolve("gateway.yaml");
        Files.writeString(yaml, """
                listeners: [{ name: https, listen: 127.0.0.1:%d }]
                clients: [127.0.0.0/8]
                upstreams: { corp: { proxies: [http://127.0.0.1:9] } }
                rules: [{ name: go, sni: [example.test], action: splice, upstream: corp }]
                access_log: stdout
                shutdown: { drain: 1s }
                """.formatted(port));
        Files.copy(SHIPPED_OPTIONS, dir.resolve("jvm.options"));
        try (NotifySocket notify = new NotifySocket(dir.resolve("notify"))) {
            ProcessBuilder pb = new ProcessBuilder(SCRIPT.toString(), "run", "--config", yaml.toString());
            pb.environment().clear();
            pb.environment().putAll(env("JAVA_HOME", System.getProperty("java.home"),
                    "SLUICE_JAR", realJar.toString(), "NOTIFY_SOCKET", notify.path.toString()));
            pb.redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
            Process p = pb.start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(
                        () -> notify.states.stream().anyMatch(s -> s.startsWith("READY=1")) || !p.isAlive());
                assertThat(notify.states).as(Files.readString(dir.resolve("out.log"))).anyMatch(s -> s.startsWith("READY=1"));
                // the launcher's PID is the JVM's: its command line is java with jvm.options' flags, no bash
                List<String> cmdline = List.of(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"))
                        .split("\0"));
                assertThat(cmdline.get(0)).isEqualTo(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                assertThat(cmdline.subList(1, 1 + SERVICE_FLAGS.size())).containsExactlyElementsOf(SERVICE_FLAGS);
                p.destroy(); // SIGTERM, as systemctl stop: reaches the JVM, which drains and exits 143
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(Files.readString(dir.resolve("out.log"))).isEqualTo(143);
                assertThat(notify.states).anyMatch(s -> s.startsWith("STOPPING=1"));
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** The CDS flags the launcher puts first when it uses the archive {@code jsa}. */
    static List<String> cdsFlags(Path jsa) {
        return List.of("-XX:SharedArchiveFile=" + jsa, "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    }

    /** A (fake) archive beside {@code jar}, newer than it, whose .id names {@code java}, {@code build} and the jar. */
    static Path fakeArchive(Path jar, Path java, String build) throws IOException {
        Path jsa = jar.resolveSibling("sluice.jsa");
        Files.writeString(jsa, "not really an archive: the fake java never maps it");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Files.writeString(jar.resolveSibling("sluice.jsa.id"), "java=" + java.toRealPath() + " build=" + build
                + " jar=" + jar.toRealPath() + "\n");
        return jsa;
    }

    @Test
    void usesTheClassDataArchiveBesideTheJarWhenItWasMadeForThisJavaAndThisJar() throws Exception {
        Path java = fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path jar = jar();
        Path jsa = fakeArchive(jar, java, "17.0.15");
        Map<String, String> env = env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar.toString(),
                "SLUICE_JVM_OPTIONS", SHIPPED_OPTIONS.toString());
        Result r = run(SCRIPT, env, "run", "--config", "/nonexistent/gateway.yaml");
        assertThat(r.err()).isEmpty();
        assertThat(r.argv()).containsExactlyElementsOf(concat(cdsFlags(jsa), SERVICE_FLAGS,
                List.of("-jar", jar.toRealPath(), "run", "--config", "/nonexistent/gateway.yaml")));
        // the short commands too: they load the same classes first (picocli, the configuration)
        r = run(SCRIPT, env, "check", "/nonexistent/gateway.yaml");
        assertThat(r.err()).isEmpty();
        assertThat(r.argv()).startsWith(cdsFlags(jsa).toArray(String[]::new));

        // off: SLUICE_CDS=off, or CDS flags of the operator's own in jvm.options or SLUICE_JAVA_OPTS
        env.put("SLUICE_CDS", "off");
        assertThat(run(SCRIPT, env, "run").argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS,
                List.of("-jar", jar, "run")));
        env.remove("SLUICE_CDS");
        env.put("SLUICE_JAVA_OPTS", "-Xshare:off");
        assertThat(run(SCRIPT, env, "run").argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS,
                List.of("-Xshare:off", "-jar", jar, "run")));
    }

    @Test
    void startsWithoutTheArchiveWhenThereIsNoneOrItIsForAnotherJavaOrOlderThanTheJar() throws Exception {
        Path java = fakeJdk(dir.resolve("jdk"), "17.0.15", true);
        Path jar = jar();
        Map<String, String> env = env("JAVA_HOME", dir.resolve("jdk").toString(), "SLUICE_JAR", jar.toString(),
                "SLUICE_JVM_OPTIONS", SHIPPED_OPTIONS.toString());
        // none
        Result r = run(SCRIPT, env, "run");
        assertThat(r.err()).isEmpty();
        assertThat(r.argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS, List.of("-jar", jar, "run")));

        // made by another JDK (here: another build of 17): run says so in one line and starts without it;
        // check, explain and version say nothing (their output is read by scripts and people)
        Path jsa = fakeArchive(jar, java, "17.0.14");
        r = run(SCRIPT, env, "run");
        assertThat(r.code()).isZero();
        assertThat(r.argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS, List.of("-jar", jar, "run")));
        assertThat(r.err()).startsWith("sluice: starting without the class-data archive " + jsa + ": made for java=")
                .contains("build=17.0.14", "this start is java=" + java.toRealPath() + " build=17.0.15")
                .endsWith("; make it again: " + SCRIPT.getParent().getParent() + "/bin/sluice-cds\n")
                .hasLineCount(1);
        r = run(SCRIPT, env, "version");
        assertThat(r.err()).isEmpty();
        assertThat(r.argv()).containsExactlyElementsOf(concat(LIGHT_FLAGS,
                SERVICE_FLAGS.stream().filter(f -> f.startsWith("-D")).toList(), List.of("-jar", jar, "version")));

        // a jar built after the archive (a build with -Dsluice.cds.skip=true, a jar copied over)
        fakeArchive(jar, java, "17.0.15");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        r = run(SCRIPT, env, "run");
        assertThat(r.argv()).containsExactlyElementsOf(concat(SERVICE_FLAGS, List.of("-jar", jar, "run")));
        assertThat(r.err()).isEqualTo("sluice: starting without the class-data archive " + jsa
                + ": older than the jar; make it again: " + SCRIPT.getParent().getParent() + "/bin/sluice-cds\n");
    }

    @Test
    void sluiceCdsMakesAnArchiveThisJdkUsesAndAnotherJdkOrAChangedJarStartsWithoutNoise() throws Exception {
        // CDS archives no class from a directory on the class path (target/classes): a jar of this build's
        // classes, whose manifest names the dependency jars
        Path jar = dir.resolve("lib/sluice.jar");
        Files.createDirectories(jar.getParent());
        List<String> deps = new ArrayList<>();
        Path classes = null;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p)) {
                if (Files.exists(p.resolve("dev/sluice/Sluice.class"))) {
                    classes = p;
                }
            } else {
                deps.add(p.toUri().toString());
            }
        }
        assertThat(classes).as("target/classes on the class path").isNotNull();
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.sluice.Sluice");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", deps));
        m.getMainAttributes().putValue("Enable-Native-Access", "ALL-UNNAMED");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, m);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                jarOut.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString()));
                Files.copy(f, jarOut);
                jarOut.closeEntry();
            }
        }
        // as the Debian package has it: sluice.jsa and sluice.jsa.id beside the jar are links into a cache directory
        // (/var/cache/sluice); both scripts write and read through them, and the links stay links
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Files.createSymbolicLink(dir.resolve("lib/sluice.jsa"), cache.resolve("sluice.jsa"));
        Files.createSymbolicLink(dir.resolve("lib/sluice.jsa.id"), cache.resolve("sluice.jsa.id"));
        Map<String, String> env = env("JAVA_HOME", System.getProperty("java.home"), "SLUICE_JAR", jar.toString(),
                "SLUICE_JVM_OPTIONS", SHIPPED_OPTIONS.toString(), "TMPDIR", dir.toString());
        Result made = run(CDS_SCRIPT, env);
        assertThat(made.code()).as(made.err()).isZero();
        Path jsa = cache.resolve("sluice.jsa");
        assertThat(jsa).isNotEmptyFile();
        assertThat(dir.resolve("lib/sluice.jsa")).isSymbolicLink();
        assertThat(dir.resolve("lib/sluice.jsa.id")).isSymbolicLink();
        try (Stream<Path> lib = Files.list(dir.resolve("lib"))) { // nothing written beside the jar
            assertThat(lib.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("sluice.jar", "sluice.jsa",
                    "sluice.jsa.id");
        }
        assertThat(Files.readString(cache.resolve("sluice.jsa.id"))).isEqualTo("java="
                + Path.of(System.getProperty("java.home"), "bin", "java").toRealPath() + " build="
                + Runtime.version() + " jar=" + jar.toRealPath() + "\n");
        try (Stream<Path> left = Files.list(dir)) { // its temporary directory is gone
            assertThat(left.map(p -> p.getFileName().toString())).doesNotContain("sluice-cds");
        }

        // this JDK maps it: classes come from the archive ("shared objects file (top)")
        Path log = dir.resolve("classes.log");
        env.put("SLUICE_JAVA_OPTS", "-Xlog:class+load=info:file=" + log);
        Result r = run(SCRIPT, env, "version");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).hasSize(1);
        assertThat(r.out().get(0)).startsWith("sluice ");
        assertThat(Files.readString(log)).contains("dev.sluice.Sluice source: shared objects file (top)");
        env.remove("SLUICE_JAVA_OPTS");

        // the jar changed behind the launcher's back (another mtime, the archive still newer): the JVM refuses the
        // archive and starts without it, and says nothing on stdout or stderr
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jsa).toMillis() - 60_000));
        r = run(SCRIPT, env, "version");
        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).hasSize(1);

        // another JDK (17 or later, when this machine has one): started without the archive, silently for version
        Path thisJava = Path.of(System.getProperty("java.home"), "bin", "java").toRealPath();
        try (Stream<Path> jdks = Files.isDirectory(Path.of("/usr/lib/jvm")) ? Files.list(Path.of("/usr/lib/jvm"))
                : Stream.empty()) {
            for (Path other : jdks.filter(h -> Files.isExecutable(h.resolve("bin/java"))).toList()) {
                if (other.resolve("bin/java").toRealPath().equals(thisJava)) {
                    continue;
                }
                Map<String, String> otherEnv = new LinkedHashMap<>(env);
                otherEnv.put("JAVA_HOME", other.toString());
                r = run(SCRIPT, otherEnv, "version");
                if (r.code() == 5) { // older than 17: not the point here
                    continue;
                }
                assertThat(r.err()).as("%s", other).isEmpty();
                assertThat(r.code()).as("%s", other).isZero();
                assertThat(r.out()).as("%s", other).hasSize(1);
            }
        }
    }
}
