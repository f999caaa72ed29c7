package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Origin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code conf/logrotate/sluice}, run by the real logrotate against a running gateway: only the log's
 * path and the owner of the file it creates are changed, and {@code systemctl} is a stand-in that signals the
 * gateway's pid when called exactly as the file calls it. Skipped where logrotate is not installed.
 */
class LogrotateTest {
    static final String SNI = "proxy.golang.org";
    static final String SYSTEMCTL_CALL = "kill --signal=USR1 --kill-whom=main sluice.service";

    @TempDir
    Path dir;

    @Test
    void theShippedLogrotateFileMovesTheLogAndTheGatewayWritesTheNextLineToTheNewOne() throws Exception {
        Path logrotate = Path.of("/usr/sbin/logrotate");
        // CI (.ci/run installs it) must not skip
        assumeTrue(Files.isExecutable(logrotate) || System.getenv("CI") != null, "needs logrotate (/usr/sbin/logrotate)");
        Path shipped = Path.of("../conf/logrotate/sluice");
        Path log = dir.resolve("access.log");
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port())) {
            int port = GatewayProcess.freePort();
            Path cfg = dir.resolve("gateway.yaml");
            Files.writeString(cfg, GatewayProcess.oneRoute(port, proxy.port(), SNI) + """
                    access_log: %s
                    """.formatted(log));
            GatewayProcess p = GatewayProcess.start(cfg, Map.of());
            try {
                p.awaitErr(l -> l.contains("Gateway: listener https bound to 127.0.0.1:" + port), Duration.ofSeconds(20));
                Clients.downAndChecked(port, SNI);
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log)
                        && Files.readAllLines(log).size() == 1);
                String line1 = Files.readAllLines(log).get(0);

                Path conf = dir.resolve("logrotate.conf");
                String text = Files.readString(shipped)
                        .replace("/var/log/sluice/access.log", log.toString())
                        .replace("create 0640 sluice sluice", "create 0640 " + id("-un") + " " + id("-gn"));
                assertThat(text).contains(log + " {").contains("systemctl " + SYSTEMCTL_CALL);
                Files.writeString(conf, text);
                Path calls = dir.resolve("systemctl.calls");
                Path bin = Files.createDirectory(dir.resolve("bin"));
                Path systemctl = bin.resolve("systemctl");
                Files.writeString(systemctl, """
                        #!/bin/sh
                        echo "$*" >> '%s'
                        [ "$*" = '%s' ] && exec kill -USR1 %d
                        exit 1
                        """.formatted(calls, SYSTEMCTL_CALL, p.process.pid()));
                Files.setPosixFilePermissions(systemctl, PosixFilePermissions.fromString("rwxr-xr-x"));

                ProcessBuilder run = new ProcessBuilder(logrotate.toString(), "--force", "--verbose", "--state",
                        dir.resolve("logrotate.state").toString(), conf.toString()).redirectErrorStream(true);
                run.environment().put("PATH", bin + ":" + System.getenv("PATH"));
                Process lr = run.start();
                String output = new String(lr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(lr.waitFor()).as("logrotate:%n%s", output).isZero();

                assertThat(Files.readAllLines(calls)).as("systemctl called once, as the unit expects")
                        .containsExactly(SYSTEMCTL_CALL);
                p.awaitErr(l -> l.endsWith("AccessLog: access log " + log + " reopened"), Duration.ofSeconds(10));
                int second = Clients.downAndChecked(port, SNI);
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(log).size() == 1);
                assertThat(field(Files.readAllLines(log).get(0), "client")).isEqualTo("127.0.0.1:" + second);
                assertThat(Files.readAllLines(dir.resolve("access.log.1"))).as("delaycompress: kept as it was")
                        .containsExactly(line1);
                assertThat(p.err).noneMatch(l -> l.contains("Reloader:"));
            } catch (Throwable t) {
                System.out.println(p.log());
                throw t;
            } finally {
                p.close();
            }
        }
    }

    private static String id(String option) throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", option).start();
        String name = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(id.waitFor()).isZero();
        return name;
    }
}
