package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static dev.sluice.testing.RunningGateway.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 256 MiB each way over TLS through the gateway, SHA-256 checked at both ends, and the same transfer through the
 * proxy without the gateway in the same run. The MB/s figures (best of two interleaved rounds) are printed (and written to
 * target/transfer-figures.txt) for information; the benchmark, not this test, judges speed.
 */
class TransferIntegrityTest {
    static final long SIZE = 256L << 20;

    @TempDir
    Path dir;

    @Test
    void twoHundredFiftySixMebibytesEachWayArriveIntact() throws Exception {
        try (Origin origin = Origin.tls(Origin.COMMANDS);
             FakeProxy proxy = new FakeProxy().route("proxy.golang.org:443", origin.port())) {
            String yaml = """
                    listeners: [{ name: https, listen: 127.0.0.1:0 }]
                    clients: [127.0.0.0/8]
                    upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                    rules: [{ name: go, sni: [proxy.golang.org], action: splice, upstream: corp }]
                    """.formatted(proxy.port());
            try (RunningGateway gw = RunningGateway.start(yaml, dir)) {
                // two rounds, interleaved, so JIT warm-up does not favour either path; the best of each counts
                double[] direct = {0, 0};
                double[] gateway = {0, 0};
                for (int round = 0; round < 2; round++) {
                    best(direct, transfer(connectThroughProxy(proxy.port()), 11 + round));
                    best(gateway, transfer(Clients.tls(Clients.tcp(gw.port()), "proxy.golang.org"), 21 + round));
                    String line = gw.awaitLine(round);
                    assertThat(field(line, "outcome")).isEqualTo("ok");
                    assertThat(number(line, "bytes_up")).isGreaterThan(SIZE);
                    assertThat(number(line, "bytes_down")).isGreaterThan(SIZE);
                }
                String figures = String.format(
                        "256 MiB over TLS, loopback, same run: upload %.0f MB/s through the gateway vs %.0f MB/s "
                                + "direct to the proxy (%.0f%%); download %.0f MB/s vs %.0f MB/s (%.0f%%)%n",
                        gateway[0], direct[0], 100 * gateway[0] / direct[0],
                        gateway[1], direct[1], 100 * gateway[1] / direct[1]);
                System.out.print(figures);
                Files.writeString(Path.of("target", "transfer-figures.txt"), figures, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING);
            }
        }
    }

    private static void best(double[] into, double[] sample) {
        into[0] = Math.max(into[0], sample[0]);
        into[1] = Math.max(into[1], sample[1]);
    }

    /** Upload then download SIZE bytes, each verified by SHA-256; returns {up MB/s, down MB/s}. */
    private static double[] transfer(SSLSocket tls, long seed) throws Exception {
        try (tls) {
            OutputStream out = tls.getOutputStream();
            InputStream in = tls.getInputStream();
            long t0 = System.nanoTime();
            out.write(("UP " + SIZE + "\n").getBytes(StandardCharsets.US_ASCII));
            String sent = Clients.send(out, SIZE, seed);
            assertThat(Clients.readLine(in)).as("SHA-256 the origin computed of the upload").isEqualTo(sent);
            long t1 = System.nanoTime();
            out.write(("DOWN " + SIZE + " " + (seed + 100) + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String received = Clients.receive(in, SIZE);
            long t2 = System.nanoTime();
            assertThat(received).as("SHA-256 of the download")
                    .isEqualTo(Clients.send(OutputStream.nullOutputStream(), SIZE, seed + 100));
            return new double[] {SIZE / 1e6 / ((t1 - t0) / 1e9), SIZE / 1e6 / ((t2 - t1) / 1e9)};
        }
    }

    /** What a client with proxy settings does: CONNECT itself, then TLS inside. */
    private static SSLSocket connectThroughProxy(int proxyPort) throws Exception {
        Socket s = Clients.tcp(proxyPort);
        s.getOutputStream().write(("CONNECT proxy.golang.org:443 HTTP/1.1\r\nHost: proxy.golang.org:443\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        String status = Clients.readLine(s.getInputStream());
        assertThat(status).startsWith("HTTP/1.1 200");
        while (!Clients.readLine(s.getInputStream()).equals("\r")) {
            // rest of the response head
        }
        return Clients.tls(s, "proxy.golang.org");
    }
}
