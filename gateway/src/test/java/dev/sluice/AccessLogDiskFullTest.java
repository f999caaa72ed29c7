package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.GatewayProcess;
import dev.sluice.testing.Json;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.Origin;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access log on a file system that fills up and then has space again, for real: the gateway runs in a private
 * mount namespace with its log on a 64 KiB tmpfs, a filler file takes the rest of the space, tunnels go through,
 * the filler is deleted, more tunnels go through. Needs root (mount); skipped otherwise.
 */
class AccessLogDiskFullTest {
    static final String SNI = "proxy.golang.org";
    static final String WRAP = "mount -t tmpfs -o size=64k sluice-test \"$0\" && exec \"$@\"";

    @TempDir
    Path dir;

    @Test
    void aFullDiskCostsWholeLinesOnlyAndTheWarningSaysHowManyAndWhy() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("tmpfs"));
        String unavailable = whyNoTmpfs(mount);
        // CI runs as root: there it must not skip
        assumeTrue(unavailable == null || System.getenv("CI") != null && "root".equals(System.getProperty("user.name")),
                () -> "needs a private tmpfs (root, unshare(1), mount): " + unavailable);

        Path log = mount.resolve("access.log");
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port())) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = dir.resolve("gateway.yaml");
            Files.writeString(cfg, GatewayProcess.oneRoute(port, proxy.port(), SNI) + """
                    access_log: %s
                    admin: { listen: 127.0.0.1:%d }
                    """.formatted(log, admin));
            List<String> wrapper = List.of("unshare", "--mount", "--propagation", "private", "--", "sh", "-c", WRAP,
                    mount.toString());
            GatewayProcess p = GatewayProcess.startWrapped(wrapper, cfg, Map.of());
            try {
                p.awaitErr(l -> l.contains("Gateway: listener https bound to"), Duration.ofSeconds(20));
                // the gateway's view of the directory: the tmpfs, seen from outside its mount namespace
                Path inside = Path.of("/proc", Long.toString(p.process.pid()), "root").resolve(log.toString()
                        .substring(1)).getParent();
                assertThat(Files.readString(Path.of("/proc", Long.toString(p.process.pid()), "mountinfo")))
                        .contains(" " + mount + " ").contains("tmpfs sluice-test");
                Path file = inside.resolve("access.log");
                Path filler = inside.resolve("filler");

                List<Integer> clients = new ArrayList<>();
                drive(port, 5, clients);
                awaitAccounted(file, admin, clients.size());

                boolean sawCut = false;
                int rounds = 0;
                while (!sawCut && rounds < 3) { // a cut needs the free space to end mid-line: nearly always
                    rounds++;
                    long fillerBytes = fill(filler);
                    drive(port, 20, clients); // the gateway keeps relaying: drive() asserts each transfer
                    awaitAccounted(file, admin, clients.size());
                    String during = Files.readString(file, StandardCharsets.UTF_8);
                    sawCut = !during.endsWith("\n");
                    System.out.printf("round %d: filler %d bytes; during the outage the file has %d bytes, %d whole "
                            + "lines, %s; %d lines lost to write errors so far%n", rounds, fillerBytes,
                            during.length(), count(during), sawCut ? "ends with a cut line of "
                                    + (during.length() - during.lastIndexOf('\n') - 1) + " bytes" : "no cut line",
                            dropped(admin, "write_error"));

                    Files.delete(filler);
                    drive(port, 5, clients);
                    int round = rounds;
                    await().atMost(Duration.ofSeconds(10)).until(() -> count(p.err, "writable again") == round);
                    awaitAccounted(file, admin, clients.size());
                }
                assertThat(sawCut).as("a write(2) cut a line in %d rounds", rounds).isTrue();

                String text = Files.readString(file, StandardCharsets.UTF_8);
                List<String> lines = Arrays.asList(text.split("\n"));
                assertThat(text).endsWith("\n");
                assertThat(lines).as("every line one whole JSON object").allMatch(Json::isObject);
                assertThat(lines).as("every line a connection of ours, once").extracting(l -> field(l, "client"))
                        .doesNotHaveDuplicates()
                        .allMatch(c -> clients.contains(Integer.parseInt(c.substring("127.0.0.1:".length()))));
                assertThat(lines).extracting(l -> field(l, "outcome")).containsOnly("ok");

                long lost = dropped(admin, "write_error");
                assertThat(lines.size() + lost).as("lines in the file plus lines lost").isEqualTo(clients.size());
                assertThat(lost).as("the outage cost lines").isPositive();
                assertThat(dropped(admin, "queue_full")).isZero();

                String failed = "ERROR AccessLog: access log " + log + ": write failed (No space left on device); "
                        + "whole lines are dropped until a write works again";
                assertThat(p.err).filteredOn(l -> l.endsWith(failed)).hasSize(rounds);
                Pattern again = Pattern.compile("WARN  AccessLog: access log " + Pattern.quote(log.toString())
                        + " writable again: (\\d+) lines? lost to write errors \\(No space left on device\\)$");
                List<String> warnings = p.err.stream().filter(l -> again.matcher(l).find()).toList();
                assertThat(warnings).hasSize(rounds);
                long warned = warnings.stream().mapToLong(l -> {
                    Matcher m = again.matcher(l);
                    m.find();
                    return Long.parseLong(m.group(1));
                }).sum();
                assertThat(warned).as("the warnings' counts").isEqualTo(lost);
                assertThat(p.err).noneMatch(l -> l.contains("could not keep up"));

                System.out.printf("connections %d, lines in the file %d, lost to write errors %d, rounds %d%n",
                        clients.size(), lines.size(), lost, rounds);
                p.err.stream().filter(l -> l.contains("AccessLog:")).forEach(System.out::println);

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

    /** Null when a private tmpfs can be mounted here, else why not. */
    private static String whyNoTmpfs(Path at) throws InterruptedException {
        try {
            Process probe = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                    "mount -t tmpfs -o size=64k sluice-probe \"$0\"", at.toString()).redirectErrorStream(true).start();
            String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return probe.waitFor() == 0 ? null : out;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** Writes to {@code filler} until the file system is full; returns the bytes it took. */
    private static long fill(Path filler) throws IOException {
        byte[] chunk = new byte[4096];
        long n = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
                n += chunk.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
        return n;
    }

    /** {@code n} short TLS transfers through the gateway, one after the other; each must arrive whole. */
    private static void drive(int port, int n, List<Integer> clients) throws Exception {
        for (int i = 0; i < n; i++) {
            clients.add(Clients.downAndChecked(port, SNI));
        }
    }

    /**
     * Waits until the writer has dealt with every connection's line: whole in the file, cut at its end (to be
     * completed), or lost to a write error.
     */
    private static void awaitAccounted(Path file, int admin, int connections) {
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int cut = text.endsWith("\n") || text.isEmpty() ? 0 : 1;
            return count(text) + cut + dropped(admin, "write_error") == connections;
        });
    }

    private static long dropped(int admin, String reason) throws Exception {
        return (long) Metrics.scrape(admin).value("sluice_access_log_dropped_total", "reason", reason);
    }

    private static int count(String text) {
        return (int) text.chars().filter(c -> c == '\n').count();
    }

    private static long count(List<String> lines, String part) {
        return lines.stream().filter(l -> l.contains(part)).count();
    }
}
