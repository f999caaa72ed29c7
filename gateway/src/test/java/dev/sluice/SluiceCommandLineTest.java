package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The commands as an operator types them: output, errors and exit codes. */
class SluiceCommandLineTest {
    static final Path SHIPPED = Path.of("..", "conf", "gateway.yaml");

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    /** The shipped configuration with its listener and admin listener on free ports. */
    static String shippedOnFreePorts() throws java.io.IOException {
        return Files.readString(SHIPPED).replace("0.0.0.0:8443", "127.0.0.1:0").replace("127.0.0.1:9091", "127.0.0.1:0");
    }

    static Result sluice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Sluice.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void checkAcceptsTheShippedConfiguration() {
        Result r = sluice("check", "--config", SHIPPED.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo(SHIPPED + ": OK: 1 listener, 3 client ranges, 1 upstream (2 proxies), 4 rules\n");
    }

    @Test
    void checkPrintsEveryErrorWithItsPositionAndExitsOne() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                listeners: [{ listen: 0.0.0.0:99999 }]
                clients: [10.0.0.0/8]
                rules:
                  - { name: all, action: reject }
                  - { name: late, sni: [.example.com], action: splice, upstream: ghost }
                """);
        Result r = sluice("check", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).containsExactly(
                bad + ":1:23: listen: port out of range 1-65535: 99999",
                bad + ":5:5: rule 'late' can never match: rule 'all' at line 4 matches every connection before it",
                bad + ":5:66: rule 'late': unknown upstream 'ghost' (no upstreams are defined)");
    }

    @Test
    void checkWarnsOfSecretsOthersMayReadAndExplainShowsEachProxysSchemes() throws Exception {
        Files.writeString(dir.resolve("ntlm.pass"), "s3cret\n");
        java.nio.file.Files.setPosixFilePermissions(dir.resolve("ntlm.pass"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        dev.sluice.testing.Keytabs.write(dir.resolve("gw.keytab"), "sluice-gw@CORP.EXAMPLE");
        java.nio.file.Files.setPosixFilePermissions(dir.resolve("gw.keytab"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path yaml = dir.resolve("auth.yaml");
        Files.writeString(yaml, """
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [10.0.0.0/8]
                upstreams:
                  corp:
                    proxies: [http://proxy1.corp.example:8080, http://proxy2.corp.example:8080]
                    auth:
                      negotiate: { principal: sluice-gw@CORP.EXAMPLE, keytab: gw.keytab }
                      ntlm: { username: svc-sluice, domain: CORP, password_file: ntlm.pass }
                rules: [{ name: go, sni: [.golang.org], action: splice, upstream: corp }]
                """);
        Result check = sluice("check", "--config", yaml.toString());
        assertThat(check.code()).isZero();
        assertThat(check.out()).isEqualTo(yaml + ": OK: 1 listener, 1 client range, 1 upstream (2 proxies), 1 rule\n");
        assertThat(check.err()).isEqualTo(yaml + ":8:66: warning: upstream 'corp' auth ntlm password_file: "
                + dir.resolve("ntlm.pass") + " is world-readable (rw-r--r--); make it readable by the "
                + "gateway's user only (chmod 600), or by it and its group (chmod 640, the file's group the gateway's)\n");
        Result explain = sluice("explain", "--config", yaml.toString(), "--sni", "proxy.golang.org", "--client",
                "10.1.2.3");
        assertThat(explain.code()).isZero();
        assertThat(explain.out()).contains("""
                  auth to http://proxy1.corp.example:8080: negotiate as sluice-gw@CORP.EXAMPLE (SPN HTTP@proxy1.corp.example, spnego), then ntlm as CORP\\svc-sluice (as the proxy asks; what worked is sent at once to later tunnels)
                  auth to http://proxy2.corp.example:8080: negotiate as sluice-gw@CORP.EXAMPLE (SPN HTTP@proxy2.corp.example, spnego), then ntlm as CORP\\svc-sluice (as the proxy asks; what worked is sent at once to later tunnels)
                """);
        assertThat(check.out() + check.err() + explain.out()).doesNotContain("s3cret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "check", "explain", "version"})
    void everyCommandAnswersHelpAndVersion(String command) {
        for (String help : List.of("--help", "-h")) {
            Result r = sluice(command, help);
            assertThat(r.code()).as(command + " " + help).isZero();
            assertThat(r.out()).startsWith("Usage: sluice " + command + " [-hV]");
            assertThat(r.err()).isEmpty();
        }
        Result v = sluice(command, "--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("sluice ");
        assertThat(sluice("help", command).out()).startsWith("Usage: sluice " + command);
    }

    @Test
    void theConfigurationMayBeTheLastArgumentAndDefaultsToEtcSluice() {
        assertThat(sluice("check", SHIPPED.toString()).out()).startsWith(SHIPPED + ": OK");
        assertThat(sluice("check", "--config", SHIPPED.toString(), SHIPPED.toString()).code()).isZero();
        Result two = sluice("check", "--config", SHIPPED.toString(), "other.yaml");
        assertThat(two.code()).isEqualTo(2);
        assertThat(two.err()).startsWith("two configuration files given (" + SHIPPED + " and other.yaml): give one\n");
        // --config before the command is the same option, never a silent fall back to the default
        assertThat(sluice("--config", SHIPPED.toString(), "check").out()).startsWith(SHIPPED + ": OK");
        assertThat(sluice("-c", SHIPPED.toString(), "explain", "--sni", "sum.golang.org").out())
                .contains("rule go (#1, ../conf/gateway.yaml:22:5)");
        Result outerAndInner = sluice("--config", SHIPPED.toString(), "check", "other.yaml");
        assertThat(outerAndInner.code()).isEqualTo(2);
        assertThat(outerAndInner.err()).startsWith("two configuration files given (" + SHIPPED + " and other.yaml)");
        // the default is only named here, never read: the machine's /etc is not the test's
        for (String command : List.of("run", "check", "explain")) {
            CommandLine cl = Sluice.commandLine();
            CommandLine.ParseResult parsed = cl.parseArgs(command);
            ConfigArgument config = (ConfigArgument) parsed.subcommand().commandSpec().mixins().get("config").userObject();
            assertThat(config.path()).isEqualTo(Path.of("/etc/sluice/gateway.yaml"));
            assertThat(config.isDefault()).isTrue();
        }
        assertThat(sluice("--help").out()).contains("\"sluice COMMAND --help\" shows a command's options; each reads\n"
                + "/etc/sluice/gateway.yaml unless given --config FILE or FILE.");
    }

    @Test
    void checkRefusesAnAdminListenerOnAListenersAddressAndOneAddressSpelledTwice() throws Exception {
        Path cfg = dir.resolve("clash.yaml");
        Files.writeString(cfg, """
                listeners:
                  - { name: https, listen: 0.0.0.0:8443 }
                  - { name: again, listen: "[::ffff:127.0.0.1]:9443" }
                  - { name: twice, listen: 127.0.0.1:9443 }
                clients: [10.0.0.0/8]
                rules: [{ name: default, action: reject }]
                admin: { listen: 127.0.0.1:8443 }
                """);
        Result r = sluice("check", cfg.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(cfg + ":4:28: listen: 127.0.0.1:9443 overlaps [::ffff:127.0.0.1]:9443 (line 3): "
                + "both cannot be bound\n"
                + cfg + ":7:18: admin.listen: 127.0.0.1:8443 is taken by listener 'https' (0.0.0.0:8443, line 2): use "
                + "another port\n");
        Files.writeString(cfg, """
                listeners: [{ name: https, listen: 127.0.0.1:9091 }]
                clients: [10.0.0.0/8]
                rules: [{ name: default, action: reject }]
                admin: on
                """);
        assertThat(sluice("check", cfg.toString()).err()).isEqualTo(cfg + ":4:8: admin.listen: 127.0.0.1:9091 is taken "
                + "by listener 'https' (127.0.0.1:9091, line 1): use another port\n");
    }

    @Test
    void checkOfAMissingFile() {
        Result r = sluice("check", "--config", dir.resolve("nope.yaml").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(dir.resolve("nope.yaml") + ":1:1: cannot read configuration: no such file\n");
    }

    @Test
    void explainShowsTheRuleAndTheRoute() {
        Result r = sluice("explain", "--config", SHIPPED.toString(), "--sni", "sum.golang.org", "--client", "10.1.2.3");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("""
                sum.golang.org client 10.1.2.3 listener https dst unknown port 443
                  rule go (#1, ../conf/gateway.yaml:22:5) matches sni sum.golang.org
                  splice via upstream corp: CONNECT sum.golang.org:443 via http://proxy1.corp.example:3128, then http://proxy2.corp.example:3128
                  auth to http://proxy1.corp.example:3128: none configured (a 407 fails as proxy_auth_failed)
                  auth to http://proxy2.corp.example:3128: none configured (a 407 fails as proxy_auth_failed)
                  strategy failover, up to 2 attempts within 15s, health: from traffic only (out after 3 failures, back after 2 successes)
                """);
    }

    @Test
    void explainWithoutClientAsksForOneTheGatewayServes() {
        // the shipped file serves 10/8, 172.16/12, 192.168/16: not 127.0.0.1, where explain is typed
        assertThat(sluice("explain", SHIPPED.toString(), "--sni", "sum.golang.org").out())
                .startsWith("sum.golang.org client 10.0.0.0 listener https dst unknown port 443\n"
                        + "  rule go (#1, ../conf/gateway.yaml:22:5) matches sni sum.golang.org\n");
    }

    @Test
    void explainNoMatchAndDeniedClient() {
        assertThat(sluice("explain", "--config", SHIPPED.toString(), "--sni", "example.org", "--client", "10.1.2.3").out())
                .contains("rule default (#4, ../conf/gateway.yaml:28:5) (no sni condition)")
                .contains("reject: refused with a TLS access_denied alert (outcome rejected)");
        assertThat(sluice("explain", "--config", SHIPPED.toString(), "--sni", "github.com", "--client", "8.8.8.8").out())
                .contains("client 8.8.8.8 is not in clients: connection reset at once (outcome denied_client)");
        assertThat(sluice("explain", "--config", SHIPPED.toString(), "--dst", "192.0.2.1:8443", "--client", "10.1.2.3").out())
                .startsWith("(no sni) client 10.1.2.3 listener https dst 192.0.2.1:8443 port 8443");
    }

    @Test
    void version() {
        Result r = sluice("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).matches("sluice \\S+ \\(netty 4\\.2\\.18\\.Final, java .*, (epoll|nio) transport\\)\n");
    }

    @Test
    void underSystemdItNotifiesAndReloadsOnSighup() throws Exception {
        Path cfg = dir.resolve("gateway.yaml");
        String original = shippedOnFreePorts();
        Files.writeString(cfg, original);
        try (var notify = new dev.sluice.testing.NotifySocket(dir.resolve("notify"))) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.sluice.Sluice", "run", "--config", cfg.toString())
                    .redirectErrorStream(true);
            pb.environment().put("NOTIFY_SOCKET", notify.path.toString());
            pb.environment().put("WATCHDOG_USEC", "200000");
            Process p = pb.start();
            List<String> lines = new CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)).lines().forEach(lines::add));
            reader.start();
            try {
                List<String> states = notify.states;
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> states.size() == 1);
                assertThat(states.get(0)).startsWith("READY=1\nSTATUS=serving: ");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                        .until(() -> notify.messages.stream().filter("WATCHDOG=1"::equals).count() >= 2);
                assertThat(lines).anyMatch(l -> l.contains("listener https bound to"));

                Files.writeString(cfg, original.replace("name: internal, sni: [.corp.example]",
                        "name: internal, sni: [.corp.example, .intranet.example]"));
                signal(p, "HUP");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> lines.stream().anyMatch(l -> l.contains("Reloader: configuration reloaded: ")));
                org.awaitility.Awaitility.await().until(() -> states.size() == 3);
                assertThat(states.get(1)).startsWith("RELOADING=1");
                assertThat(states.get(2)).startsWith("READY=1");

                Files.writeString(cfg, original.replace("action: reject", "action: rejekt"));
                signal(p, "HUP");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> lines.stream().anyMatch(l -> l.contains("reload refused")));
                org.awaitility.Awaitility.await().until(() -> lines.stream().anyMatch(l -> l.endsWith(
                        cfg + ":28:30: rule 'default' action: expected splice, direct or reject, got 'rejekt'")));

                signal(p, "TERM");
                assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(143);
                org.awaitility.Awaitility.await().until(() -> notify.messages.contains("STOPPING=1"));
            } catch (Throwable t) {
                System.out.println("process output:\n" + String.join("\n", lines) + "\nnotifications: " + notify.messages);
                throw t;
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private static void signal(Process p, String signal) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
    }

    @Test
    void runsAsAProcessLogsEachListenerAndStopsCleanlyOnCtrlC() throws Exception {
        Path cfg = dir.resolve("gateway.yaml");
        Files.writeString(cfg, shippedOnFreePorts());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.sluice.Sluice", "--config", cfg.toString())
                .redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)).lines().forEach(lines::add));
        reader.start();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> lines.stream().anyMatch(l -> l.contains("listener https bound to 127.0.0.1:")));
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("exited after SIGINT").isTrue();
            reader.join(2000);
            assertThat(p.exitValue()).isEqualTo(130); // 128 + SIGINT, as shells expect
            assertThat(lines).anyMatch(l -> l.matches(".*Gateway: listener https bound to 127\\.0\\.0\\.1:\\d+ "
                    + "\\(transparent redirect, peek tls, default port 443, (epoll transport, "
                    + Runtime.getRuntime().availableProcessors() + " sockets? with SO_REUSEPORT|nio transport, 1 socket)\\)"));
            assertThat(lines).anyMatch(l -> l.endsWith("Run: stopped"));
            assertThat(lines).noneMatch(l -> l.contains("Exception"));
        } finally {
            p.destroyForcibly();
        }
    }
}
