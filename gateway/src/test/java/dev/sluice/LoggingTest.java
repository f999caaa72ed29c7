package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.NotifySocket;
import dev.sluice.testing.Origin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's own log as an operator reads it (stderr of a real process): journald priorities instead of
 * timestamps under systemd, {@code logging} levels at start and at each SIGHUP, and the access-log file reopened
 * by SIGHUP or SIGUSR1 (which reloads nothing) after logrotate moved it.
 */
class LoggingTest {
    static final Pattern JOURNAL_LINE = Pattern.compile("^<[3467]>(INFO|WARN|ERROR|DEBUG) .*");
    static final Pattern TIMESTAMPED_LINE =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} (INFO|WARN|ERROR|DEBUG) .*");
    static final Pattern A_DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    static final String SNI = "proxy.golang.org";

    @TempDir
    Path dir;

    private String config(int port, String extra) {
        return """
                listeners: [{ name: https, listen: 127.0.0.1:%d }]
                clients: [127.0.0.0/8]
                rules: [{ name: default, action: reject }]
                %s
                """.formatted(port, extra);
    }

    /**
     * A start, a reload with a warning, a refused reload (errors) and a stop, with or without JOURNAL_STREAM;
     * returns the stderr lines.
     */
    private List<String> startReloadAndStop(Map<String, String> env) throws Exception {
        int port = GatewayProcess.freePort();
        Path cfg = dir.resolve("gateway.yaml");
        Files.writeString(cfg, config(port, "access_log: stdout"));
        GatewayProcess p = GatewayProcess.start(cfg, env);
        try {
            p.awaitErr(l -> l.contains("Gateway: listener https bound to 127.0.0.1:" + port), Duration.ofSeconds(20));
            Files.writeString(cfg, config(port, "access_log: stderr")); // needs a restart: a warning
            p.signal("HUP");
            p.awaitErr(l -> l.contains("Reloader: configuration reloaded: "), Duration.ofSeconds(10));
            Files.writeString(cfg, config(port, "access_log: stdout\nlimits: { max_connections: lots }"));
            p.signal("HUP");
            p.awaitErr(l -> l.contains("Reloader: reload refused"), Duration.ofSeconds(10));
            p.awaitErr(l -> l.contains("limits.max_connections"), Duration.ofSeconds(10));
            p.signal("TERM");
            assertThat(p.awaitExit(Duration.ofSeconds(10))).isEqualTo(143);
            assertThat(p.err).anyMatch(l -> l.endsWith("Run: stopped"));
            return p.err;
        } catch (Throwable t) {
            System.out.println(p.log());
            throw t;
        } finally {
            p.close();
        }
    }

    @Test
    void underJournaldEachLineStartsWithItsSyslogPriorityAndHasNoTimestamp() throws Exception {
        List<String> err = startReloadAndStop(Map.of("JOURNAL_STREAM", "8:12345"));
        assertThat(err).isNotEmpty().allMatch(l -> JOURNAL_LINE.matcher(l).matches(), "starts with <priority> LEVEL")
                .noneMatch(l -> A_DATE.matcher(l).find());
        // each level has its priority: journalctl -p warning shows warnings and errors
        assertThat(err).anyMatch(l -> l.startsWith("<6>INFO  Gateway: listener https bound to 127.0.0.1:"))
                .anyMatch(l -> l.startsWith("<4>WARN  Reloader: access_log changes in "))
                .anyMatch(l -> l.startsWith("<3>ERROR Reloader: reload refused, the running configuration stays"))
                .anyMatch(l -> l.startsWith("<6>INFO  ") && l.endsWith("Run: stopped"));
        assertThat(err).filteredOn(l -> l.startsWith("<3>")).allMatch(l -> l.startsWith("<3>ERROR "));
        assertThat(err).filteredOn(l -> l.startsWith("<4>")).allMatch(l -> l.startsWith("<4>WARN  "));
        assertThat(err).filteredOn(l -> l.startsWith("<6>")).allMatch(l -> l.startsWith("<6>INFO  "));
    }

    @Test
    void elsewhereEachLineStartsWithTheLocalDateAndTime() throws Exception {
        LocalDateTime before = LocalDateTime.now().minusSeconds(1);
        List<String> err = startReloadAndStop(Map.of());
        LocalDateTime after = LocalDateTime.now().plusSeconds(1);
        assertThat(err).isNotEmpty().allMatch(l -> TIMESTAMPED_LINE.matcher(l).matches(), "starts with a timestamp")
                .noneMatch(l -> l.startsWith("<"));
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
        for (String l : err) {
            assertThat(LocalDateTime.parse(l.substring(0, 23), f)).as("local time of: %s", l).isBetween(before, after);
        }
        assertThat(err).anyMatch(l -> l.matches("^\\S+ \\S+ WARN  Reloader: access_log changes in .*"))
                .anyMatch(l -> l.matches("^\\S+ \\S+ ERROR Reloader: reload refused, .*"))
                .anyMatch(l -> l.matches("^\\S+ \\S+ INFO  \\S*Run: stopped$"));
    }

    @Test
    void levelsFromTheConfigurationApplyAtStartAndAtEachReload() throws Exception {
        int port = GatewayProcess.freePort();
        int adminPort = GatewayProcess.freePort();
        Path cfg = dir.resolve("gateway.yaml");
        String admin = "admin: { listen: 127.0.0.1:" + adminPort + " }\n";
        Files.writeString(cfg, config(port, admin + "logging: { level: warn }"));
        try (NotifySocket notify = new NotifySocket(dir.resolve("notify"))) {
            GatewayProcess p = GatewayProcess.start(cfg, Map.of("NOTIFY_SOCKET", notify.path.toString()));
            try {
                // ready without a word on stderr: the admin listener says so, and the listener takes connections
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> GatewayProcess.get(adminPort, "/readyz").statusCode() == 200);
                Clients.tcp(port).close();

                Files.writeString(cfg, config(port, admin + "logging: { level: info }"));
                p.signal("HUP");
                String reloaded = p.awaitErr(l -> l.contains("INFO  Reloader: configuration reloaded: "),
                        Duration.ofSeconds(10));
                List<String> atWarn = p.err.subList(0, p.err.indexOf(reloaded));
                assertThat(atWarn).as("the log at level warn, until the reload").noneMatch(
                        l -> l.contains("listener https bound to"));
                assertThat(atWarn).as("the log at level warn, until the reload").noneMatch(l -> l.contains(" INFO "));

                // one logger at info, the rest at warn
                Files.writeString(cfg, config(port, admin
                        + "logging: { level: warn, loggers: { dev.sluice.Reloader: info } }"));
                p.signal("HUP");
                await().atMost(Duration.ofSeconds(10)).until(() -> count(p.err, "Reloader: configuration reloaded: ") == 2);

                // the logger left out goes back to the level it inherits: warn, so this reload says nothing
                Files.writeString(cfg, config(port, admin + "logging: { level: warn }"));
                p.signal("HUP");
                await().atMost(Duration.ofSeconds(10)).until(() -> notify.states.size() == 7
                        && notify.states.get(6).startsWith("READY=1"));
                p.signal("TERM");
                assertThat(p.awaitExit(Duration.ofSeconds(10))).isEqualTo(143);
                assertThat(count(p.err, "Reloader: configuration reloaded: ")).as("reloads logged").isEqualTo(2);
                assertThat(p.err).as("stopping at level warn").noneMatch(l -> l.contains("Run: stopp"));
            } catch (Throwable t) {
                System.out.println(p.log() + "\nnotifications: " + notify.states);
                throw t;
            } finally {
                p.close();
            }
        }
    }

    private static long count(List<String> lines, String part) {
        return lines.stream().filter(l -> l.contains(part)).count();
    }

    @Test
    void sighupReopensTheAccessLogFileAfterItWasMovedEvenWhenTheNewConfigurationIsInvalid() throws Exception {
        Path log = dir.resolve("access.log");
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port());
             NotifySocket notify = new NotifySocket(dir.resolve("notify"))) {
            int port = GatewayProcess.freePort();
            String yaml = """
                    listeners: [{ name: https, listen: 127.0.0.1:%d }]
                    clients: [127.0.0.0/8]
                    upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                    rules: [{ name: go, sni: [%s], action: splice, upstream: corp }]
                    access_log: %s
                    """.formatted(port, proxy.port(), SNI, log);
            Path cfg = dir.resolve("gateway.yaml");
            Files.writeString(cfg, yaml);
            GatewayProcess p = GatewayProcess.start(cfg, Map.of("NOTIFY_SOCKET", notify.path.toString()));
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> notify.states.size() == 1);

                int first = Clients.downAndChecked(port, SNI);
                String line1 = awaitOnlyLine(log);
                assertThat(field(line1, "client")).isEqualTo("127.0.0.1:" + first);
                assertThat(field(line1, "outcome")).isEqualTo("ok");

                // logrotate: move the file, then SIGHUP (its postrotate)
                Files.move(log, dir.resolve("access.log.1"));
                p.signal("HUP");
                await().atMost(Duration.ofSeconds(10)).until(() -> notify.states.size() == 3);
                p.awaitErr(l -> l.contains("Reloader: configuration reloaded: "), Duration.ofSeconds(5));
                int second = Clients.downAndChecked(port, SNI);
                String line2 = awaitOnlyLine(log);
                assertThat(field(line2, "client")).as("the new file has the next connection")
                        .isEqualTo("127.0.0.1:" + second);
                assertThat(Files.readAllLines(dir.resolve("access.log.1"))).as("the moved file keeps only its line")
                        .containsExactly(line1);

                // the same with a configuration that has an error at that moment
                Files.move(log, dir.resolve("access.log.2"));
                Files.writeString(cfg, yaml.replace("action: splice", "action: spliec"));
                p.signal("HUP");
                await().atMost(Duration.ofSeconds(10)).until(() -> notify.states.size() == 5);
                p.awaitErr(l -> l.contains("Reloader: reload refused"), Duration.ofSeconds(5));
                int third = Clients.downAndChecked(port, SNI); // the running configuration still splices
                String line3 = awaitOnlyLine(log);
                assertThat(field(line3, "client")).isEqualTo("127.0.0.1:" + third);
                assertThat(field(line3, "outcome")).isEqualTo("ok");
                assertThat(Files.readAllLines(dir.resolve("access.log.2"))).containsExactly(line2);
                assertThat(Files.readAllLines(dir.resolve("access.log.1"))).containsExactly(line1);
                assertThat(p.err).filteredOn(l -> l.endsWith("AccessLog: access log " + log + " reopened")).hasSize(2);

                p.signal("TERM");
                assertThat(p.awaitExit(Duration.ofSeconds(10))).isEqualTo(143);
                assertThat(Files.readAllLines(log)).containsExactly(line3);
                assertThat(p.out).as("nothing on stdout with access_log in a file").isEmpty();
            } catch (Throwable t) {
                System.out.println(p.log() + "\nnotifications: " + notify.states);
                throw t;
            } finally {
                p.close();
            }
        }
    }

    @Test
    void sigusr1ReopensTheAccessLogFileAndLeavesTheConfigurationAloneWhereSighupReloadsIt() throws Exception {
        Path log = dir.resolve("access.log");
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port())) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            String yaml = """
                    listeners: [{ name: https, listen: 127.0.0.1:%d }]
                    clients: [127.0.0.0/8]
                    upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                    rules: [%s{ name: go, sni: [%s], action: splice, upstream: corp }]
                    access_log: %s
                    admin: { listen: 127.0.0.1:%d }
                    """;
            Path cfg = dir.resolve("gateway.yaml");
            Files.writeString(cfg, yaml.formatted(port, proxy.port(), "", SNI, log, admin));
            GatewayProcess p = GatewayProcess.start(cfg, Map.of());
            try {
                p.awaitErr(l -> l.contains("Gateway: listener https bound to 127.0.0.1:" + port), Duration.ofSeconds(20));
                Clients.downAndChecked(port, SNI);
                String line1 = awaitOnlyLine(log);

                // an edit in progress that would refuse the name, when logrotate moves the file and signals
                Files.writeString(cfg, yaml.formatted(port, proxy.port(),
                        "{ name: block, sni: [" + SNI + "], action: reject }, ", SNI, log, admin));
                Files.move(log, dir.resolve("access.log.1"));
                p.signal("USR1");
                p.awaitErr(l -> l.endsWith("AccessLog: access log " + log + " reopened"), Duration.ofSeconds(10));
                assertThat(log).as("the new file, opened at once").exists();

                int second = Clients.downAndChecked(port, SNI); // still spliced: the edit is not applied
                String line2 = awaitOnlyLine(log);
                assertThat(field(line2, "client")).isEqualTo("127.0.0.1:" + second);
                assertThat(field(line2, "rule")).isEqualTo("go");
                assertThat(field(line2, "outcome")).isEqualTo("ok");
                assertThat(Files.readAllLines(dir.resolve("access.log.1"))).containsExactly(line1);
                assertThat(reloads(admin, "ok") + reloads(admin, "error")).as("reloads counted").isZero();
                assertThat(p.err).noneMatch(l -> l.contains("Reloader:"));

                // SIGHUP still reloads: the edit now applies
                p.signal("HUP");
                p.awaitErr(l -> l.contains("Reloader: configuration reloaded: "), Duration.ofSeconds(10));
                assertThat(reloads(admin, "ok")).isEqualTo(1);
                assertThatThrownBy(() -> Clients.downAndChecked(port, SNI)).as("refused by the new rule")
                        .isInstanceOf(IOException.class);
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(log).size() == 2);
                String line3 = Files.readAllLines(log).get(1);
                assertThat(field(line3, "rule")).isEqualTo("block");
                assertThat(field(line3, "outcome")).isEqualTo("rejected");

                p.signal("TERM");
                assertThat(p.awaitExit(Duration.ofSeconds(10))).isEqualTo(143);
            } catch (Throwable t) {
                System.out.println(p.log());
                throw t;
            } finally {
                p.close();
            }
        }
    }

    /** sluice_config_reloads_total{result=...} from /metrics. */
    private static long reloads(int admin, String result) throws Exception {
        return (long) Metrics.scrape(admin).value("sluice_config_reloads_total", "result", result);
    }

    /** Waits for the file to hold one complete line, and returns it. */
    private static String awaitOnlyLine(Path file) throws java.io.IOException {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(file)
                && Files.readString(file).endsWith("\n") && Files.readAllLines(file).size() == 1);
        return Files.readAllLines(file).get(0);
    }
}
