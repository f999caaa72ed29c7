package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static dev.sluice.testing.RunningGateway.number;
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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real gateway process while a client moves 128 MiB through it over TLS (in-JVM proxy and origin):
 * new connections are refused at once, the transfer finishes byte-exact within {@code shutdown.drain}, and only
 * then does the process exit (143). A tunnel that outlives a short drain is closed with outcome {@code shutdown}.
 */
class GracefulShutdownTest {
    static final long SIZE = 128L << 20;
    static final long MIB = 1L << 20;
    /** The client's pace: 128 MiB take about 4 s, so the SIGTERM comes early in the transfer. */
    static final long RATE = 32L << 20;
    static final String SNI = "proxy.golang.org";

    @TempDir
    Path dir;

    record Gw(GatewayProcess process, int port, int adminPort) {
    }

    private Gw start(FakeProxy proxy, NotifySocket notify, String shutdown) throws Exception {
        int port = GatewayProcess.freePort();
        int adminPort = GatewayProcess.freePort();
        Path cfg = dir.resolve("gateway.yaml");
        Files.writeString(cfg, GatewayProcess.oneRoute(port, proxy.port(), SNI) + """
                access_log: stdout
                admin: { listen: 127.0.0.1:%d }
                %s
                """.formatted(adminPort, shutdown));
        GatewayProcess p = GatewayProcess.start(cfg, Map.of("NOTIFY_SOCKET", notify.path.toString()));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> notify.states.stream().anyMatch(s -> s.startsWith("READY=1")));
        } catch (Throwable t) {
            System.out.println(p.log());
            p.close();
            throw t;
        }
        return new Gw(p, port, adminPort);
    }

    @Test
    void aDownloadInProgressAtSigtermFinishesByteExactBeforeTheProcessExits() throws Exception {
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port());
             NotifySocket notify = new NotifySocket(dir.resolve("notify"))) {
            Gw gw = start(proxy, notify, ""); // shutdown.drain: the default, 30s
            GatewayProcess p = gw.process();
            try {
                AtomicLong received = new AtomicLong();
                long[] doneAt = new long[1];
                boolean[] aliveAtEnd = new boolean[1];
                String expected = Clients.send(OutputStream.nullOutputStream(), SIZE, 4711);
                SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), SNI);
                CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> {
                    try (tls) {
                        tls.getOutputStream().write(("DOWN " + SIZE + " 4711\n").getBytes(StandardCharsets.US_ASCII));
                        tls.getOutputStream().flush();
                        String sha = throttledReceive(tls.getInputStream(), SIZE, received);
                        doneAt[0] = System.nanoTime();
                        aliveAtEnd[0] = p.process.isAlive();
                        return sha;
                    } catch (Exception e) {
                        throw new RuntimeException("download failed after " + received.get() + " bytes", e);
                    }
                });
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                        .until(() -> received.get() >= 16 * MIB || download.isDone());
                assertThat(download).as("still downloading at the SIGTERM").isNotDone();
                long atSignal = received.get();
                long signalled = System.nanoTime();
                p.signal("TERM");

                // the listener closes at once: a new connection is refused
                p.awaitErr(l -> l.endsWith("Gateway: not accepting connections; waiting up to 30s (shutdown.drain) "
                        + "for 1 open connection"), Duration.ofSeconds(5));
                assertThatThrownBy(() -> Clients.tcp(gw.port()).close()).as("a new connection during the drain")
                        .isInstanceOf(ConnectException.class).hasMessageContaining("refused");
                long refusedMs = (System.nanoTime() - signalled) / 1_000_000;
                assertThat(refusedMs).as("ms from SIGTERM to a refused connection").isLessThan(3000);

                // while the download goes on: not ready, draining, and systemd was told
                assertThat(download).as("still downloading while the drain is checked").isNotDone();
                HttpResponse<String> ready = GatewayProcess.get(gw.adminPort(), "/readyz");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).isEqualTo("draining for shutdown: not accepting connections\n");
                assertThat(Metrics.scrape(gw.adminPort()).sample("sluice_draining")).isEqualTo(1.0);
                await().atMost(Duration.ofSeconds(2)).until(() -> notify.messages.contains("STOPPING=1"));
                assertThat(download).as("still downloading after the drain checks").isNotDone();

                assertThat(download.get(60, TimeUnit.SECONDS)).as("SHA-256 of the 128 MiB download").isEqualTo(expected);
                assertThat(aliveAtEnd[0]).as("the gateway still running when the last byte arrived").isTrue();
                assertThat(p.awaitExit(Duration.ofSeconds(20))).as("exit code after SIGTERM").isEqualTo(143);
                assertThat(p.exitNanos()).as("exited after the transfer finished").isGreaterThan(doneAt[0]);

                String drained = p.awaitErr(l -> l.contains("Gateway: drained: all 1 connection finished in "),
                        Duration.ofSeconds(1));
                long drainMs = Long.parseLong(drained.replaceAll(".* finished in (\\d+) ms$", "$1"));
                assertThat(indexOf(p.err, "Run: stopping")).isGreaterThanOrEqualTo(0)
                        .isLessThan(indexOf(p.err, "Gateway: not accepting connections"));
                assertThat(indexOf(p.err, "Gateway: drained: all 1 connection finished"))
                        .isLessThan(indexOf(p.err, "Run: stopped"));
                assertThat(p.err).noneMatch(l -> l.contains("Exception") || l.contains(" ERROR "));

                List<String> access = p.out.stream().filter(l -> l.startsWith("{")).toList();
                assertThat(access).hasSize(1);
                assertThat(field(access.get(0), "outcome")).isEqualTo("ok");
                assertThat(field(access.get(0), "sni")).isEqualTo(SNI);
                assertThat(number(access.get(0), "bytes_down")).as("128 MiB and the TLS overhead")
                        .isGreaterThanOrEqualTo(SIZE);

                System.out.printf("graceful shutdown, download: SIGTERM after %.1f MiB of 128 received; %.1f MiB "
                                + "arrived after it; new connection refused %d ms after SIGTERM; drain %d ms (gateway's "
                                + "figure), exit %d ms after SIGTERM, %d ms after the last byte%n",
                        atSignal / (double) MIB, (SIZE - atSignal) / (double) MIB, refusedMs, drainMs,
                        (p.exitNanos() - signalled) / 1_000_000, (p.exitNanos() - doneAt[0]) / 1_000_000);
            } catch (Throwable t) {
                System.out.println(p.log() + "\nnotifications: " + notify.messages);
                throw t;
            } finally {
                p.close();
            }
        }
    }

    @Test
    void anUploadInProgressAtSigtermFinishesAndTheTunnelStillCarriesADownload() throws Exception {
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port());
             NotifySocket notify = new NotifySocket(dir.resolve("notify"))) {
            Gw gw = start(proxy, notify, "shutdown: { drain: 30s }");
            GatewayProcess p = gw.process();
            try (SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), SNI)) {
                AtomicLong sent = new AtomicLong();
                OutputStream out = tls.getOutputStream();
                InputStream in = tls.getInputStream();
                CompletableFuture<String> upload = CompletableFuture.supplyAsync(() -> {
                    try {
                        out.write(("UP " + SIZE + "\n").getBytes(StandardCharsets.US_ASCII));
                        return throttledSend(out, SIZE, 815, sent);
                    } catch (Exception e) {
                        throw new RuntimeException("upload failed after " + sent.get() + " bytes", e);
                    }
                });
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                        .until(() -> sent.get() >= 16 * MIB || upload.isDone());
                assertThat(upload).as("still uploading at the SIGTERM").isNotDone();
                long atSignal = sent.get();
                long signalled = System.nanoTime();
                p.signal("TERM");
                p.awaitErr(l -> l.endsWith("Gateway: not accepting connections; waiting up to 30s (shutdown.drain) "
                        + "for 1 open connection"), Duration.ofSeconds(5));
                assertThatThrownBy(() -> Clients.tcp(gw.port()).close()).isInstanceOf(ConnectException.class);
                assertThat(upload).as("still uploading once the listener is closed").isNotDone();

                String sha = upload.get(60, TimeUnit.SECONDS);
                assertThat(Clients.readLine(in)).as("SHA-256 the origin computed of the 128 MiB upload").isEqualTo(sha);
                long uploaded = System.nanoTime();
                // the tunnel, open before the SIGTERM, still carries a new request during the drain
                out.write(("DOWN " + SIZE + " 816\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(Clients.receive(in, SIZE)).as("SHA-256 of the 128 MiB download during the drain")
                        .isEqualTo(Clients.send(OutputStream.nullOutputStream(), SIZE, 816));
                long downloaded = System.nanoTime();
                assertThat(p.process.isAlive()).as("the gateway still running after both transfers").isTrue();
                tls.close();

                assertThat(p.awaitExit(Duration.ofSeconds(20))).isEqualTo(143);
                assertThat(p.exitNanos()).isGreaterThan(downloaded);
                String drained = p.awaitErr(l -> l.contains("Gateway: drained: all 1 connection finished in "),
                        Duration.ofSeconds(1));
                List<String> access = p.out.stream().filter(l -> l.startsWith("{")).toList();
                assertThat(access).hasSize(1);
                assertThat(field(access.get(0), "outcome")).isEqualTo("ok");
                assertThat(number(access.get(0), "bytes_up")).isGreaterThanOrEqualTo(SIZE);
                assertThat(number(access.get(0), "bytes_down")).isGreaterThanOrEqualTo(SIZE);
                System.out.printf("graceful shutdown, upload then download: SIGTERM after %.1f MiB of 128 sent; "
                                + "%.1f MiB up and 128 MiB down after it (upload done %d ms, download %d ms after "
                                + "SIGTERM); %s%n", atSignal / (double) MIB, (SIZE - atSignal) / (double) MIB,
                        (uploaded - signalled) / 1_000_000, (downloaded - signalled) / 1_000_000,
                        drained.replaceAll(".*Gateway: ", ""));
            } catch (Throwable t) {
                System.out.println(p.log() + "\nnotifications: " + notify.messages);
                throw t;
            } finally {
                p.close();
            }
        }
    }

    @Test
    void anIdleTunnelStillOpenWhenTheDrainRunsOutIsClosedWithOutcomeShutdown() throws Exception {
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route(SNI + ":443", origin.port());
             NotifySocket notify = new NotifySocket(dir.resolve("notify"))) {
            Gw gw = start(proxy, notify, "shutdown: { drain: 1s }");
            GatewayProcess p = gw.process();
            try (SSLSocket tls = Clients.tls(Clients.tcp(gw.port()), SNI)) {
                // the tunnel works, then stays open and idle
                tls.getOutputStream().write("DOWN 1000 9\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                assertThat(Clients.receive(tls.getInputStream(), 1000))
                        .isEqualTo(Clients.send(OutputStream.nullOutputStream(), 1000, 9));
                tls.setSoTimeout(10_000);

                long signalled = System.nanoTime();
                p.signal("TERM");
                // the client sees its connection end (EOF or reset), not a read timeout
                long closedAt;
                try {
                    assertThat(tls.getInputStream().read()).isEqualTo(-1);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the idle tunnel was not closed within 10 s of the SIGTERM", e);
                } catch (IOException expected) {
                    // a reset or a TLS error: closed all the same
                }
                closedAt = System.nanoTime();
                assertThat(p.awaitExit(Duration.ofSeconds(10))).isEqualTo(143);
                long exitMs = (p.exitNanos() - signalled) / 1_000_000;
                long closedMs = (closedAt - signalled) / 1_000_000;
                assertThat(closedMs).as("ms from SIGTERM until the idle tunnel was closed").isBetween(1000L, 3000L);
                assertThat(exitMs).as("ms from SIGTERM to exit, with shutdown.drain 1s").isBetween(1000L, 3000L);

                assertThat(p.err).anyMatch(l -> l.endsWith("Gateway: not accepting connections; waiting up to 1s "
                        + "(shutdown.drain) for 1 open connection"));
                assertThat(p.err).anyMatch(l -> l.endsWith(" WARN  Gateway: drain time over: closing 1 connection "
                        + "still open"));
                assertThat(p.err).noneMatch(l -> l.contains("drained: all"));
                assertThat(p.err.get(p.err.size() - 1)).endsWith("Run: stopped");
                List<String> access = p.out.stream().filter(l -> l.startsWith("{")).toList();
                assertThat(access).hasSize(1);
                assertThat(field(access.get(0), "outcome")).isEqualTo("shutdown");
                assertThat(field(access.get(0), "error")).isEqualTo("still open when shutdown.drain (1s) ran out");
                assertThat(number(access.get(0), "bytes_down")).isGreaterThan(1000);
                assertThat(notify.messages).contains("STOPPING=1");
                System.out.printf("graceful shutdown, idle tunnel and shutdown.drain 1s: tunnel closed %d ms and "
                        + "process exited %d ms after SIGTERM%n", closedMs, exitMs);
            } catch (Throwable t) {
                System.out.println(p.log() + "\nnotifications: " + notify.messages);
                throw t;
            } finally {
                p.close();
            }
        }
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    /** Waits until {@code done} bytes are due at {@link #RATE} since {@code start}. */
    private static void pace(long start, long done) throws InterruptedException {
        long wait = start + done * 1_000_000_000L / RATE - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /** Reads exactly {@code n} bytes at no more than {@link #RATE}; returns their SHA-256. */
    private static String throttledReceive(InputStream in, long n, AtomicLong progress) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        long start = System.nanoTime();
        long got = 0;
        while (got < n) {
            int k = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (k < 0) {
                throw new IOException("EOF after " + got + " of " + n + " bytes");
            }
            sha.update(buf, 0, k);
            got += k;
            progress.set(got);
            pace(start, got);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Writes the bytes {@link Clients#send} would, at no more than {@link #RATE}; returns their SHA-256. */
    private static String throttledSend(OutputStream out, long n, long seed, AtomicLong progress) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[64 * 1024];
        long start = System.nanoTime();
        long done = 0;
        while (done < n) {
            int k = (int) Math.min(buf.length, n - done);
            Clients.fill(r, buf, k);
            out.write(buf, 0, k);
            sha.update(buf, 0, k);
            done += k;
            progress.set(done);
            pace(start, done);
        }
        out.flush();
        return HexFormat.of().formatHex(sha.digest());
    }
}
