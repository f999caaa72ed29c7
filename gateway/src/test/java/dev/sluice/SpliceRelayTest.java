package dev.sluice;

import static dev.sluice.testing.RunningGateway.field;
import static dev.sluice.testing.RunningGateway.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.Clients;
import dev.sluice.testing.FakeProxy;
import dev.sluice.testing.Hellos;
import dev.sluice.testing.Metrics;
import dev.sluice.testing.NettyLeaks;
import dev.sluice.testing.Origin;
import dev.sluice.testing.RunningGateway;
import io.netty.channel.epoll.Epoll;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-copy relay: bulk directions go by splice(2) (the metric proves it), byte-exact, with exact byte
 * counts, and its weak spot covered: the sender's FIN reaches the gateway while megabytes still wait in its
 * socket, and none of them may be lost or sent after the FIN it passes on. A busy spliced tunnel is not idle.
 */
@ExtendWith(NettyLeaks.class)
class SpliceRelayTest {
    static final long SIZE = 32L << 20;

    @TempDir
    Path dir;
    FakeProxy proxy;
    Origin origin;
    RunningGateway gw;
    byte[] hello;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "splice needs the epoll transport");
        hello = Hellos.captured("go.bin");
        proxy = new FakeProxy();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (origin != null) {
            origin.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    void start(Origin.Behaviour behaviour, String idle) throws Exception {
        origin = Origin.raw(behaviour);
        proxy.route("proxy.golang.org:443", origin.port());
        gw = RunningGateway.start("""
                listeners: [{ name: https, listen: 127.0.0.1:0 }]
                clients: [127.0.0.0/8]
                upstreams: { corp: { proxies: [http://127.0.0.1:%d] } }
                rules: [{ name: go, sni: [proxy.golang.org], action: splice, upstream: corp }]
                timeouts: { idle: %s }
                admin: { listen: 127.0.0.1:0 }
                """.formatted(proxy.port(), idle), dir);
    }

    double spliced(String direction) throws Exception {
        return Metrics.scrape(gw.gateway.adminAddress())
                .value("sluice_spliced_bytes_total", "direction", direction);
    }

    @Test
    void aDownloadWhoseFinArrivesLongBeforeItsLastByteIsCompleteAndEndsWithEof() throws Exception {
        start(s -> {
            s.getInputStream().readNBytes(hello.length);
            Clients.send(s.getOutputStream(), SIZE, 41);
            s.shutdownOutput(); // FIN right behind the data, while the client has not read most of it
            s.getInputStream().read();
        }, "15m");
        try (Socket s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(hello);
            InputStream in = s.getInputStream();
            String first = Clients.receive(in, 1 << 20); // the splice is on; then let the buffers fill up
            assertThat(first).isNotEmpty();
            Thread.sleep(1000); // the buffers along the way fill, the origin finishes, its FIN reaches the gateway
            String rest = Clients.receiveAll(in);
            assertThat(sha(41, 1 << 20, SIZE)).isEqualTo(first + "|" + rest);
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(number(line, "bytes_down")).isEqualTo(SIZE);
        assertThat(spliced("down")).as("bytes spliced").isGreaterThan(SIZE - (1 << 20));
    }

    @Test
    void anUploadWhoseFinArrivesLongBeforeItsLastByteIsCompleteAtTheOrigin() throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        start(s -> {
            s.getInputStream().readNBytes(hello.length);
            Thread.sleep(1000); // the client sends everything and its FIN while the origin does not read
            received.complete(Clients.receiveAll(s.getInputStream()));
            s.shutdownOutput();
        }, "15m");
        try (Socket s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(hello);
            String sent = Clients.send(s.getOutputStream(), SIZE, 42);
            s.shutdownOutput();
            assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(sent + ":" + SIZE);
            assertThat(s.getInputStream().read()).as("the origin's FIN after it had everything").isEqualTo(-1);
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(number(line, "bytes_up")).isEqualTo(hello.length + SIZE);
        assertThat(spliced("up")).isGreaterThan(SIZE - (1 << 20));
    }

    @Test
    void bothWaysAtOnceThenHalfClosedOneAfterTheOther() throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        start(s -> {
            s.getInputStream().readNBytes(hello.length);
            Thread reader = new Thread(() -> {
                try {
                    received.complete(Clients.receiveAll(s.getInputStream()));
                } catch (Exception e) {
                    received.completeExceptionally(e);
                }
            });
            reader.start();
            Clients.send(s.getOutputStream(), SIZE, 43);
            s.shutdownOutput(); // the origin is done first; the client goes on sending
            reader.join();
        }, "15m");
        try (Socket s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(hello);
            CompletableFuture<String> down = CompletableFuture.supplyAsync(() -> {
                try {
                    return Clients.receiveAll(s.getInputStream());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String sent = Clients.send(s.getOutputStream(), 2 * SIZE, 44);
            assertThat(down.get(30, TimeUnit.SECONDS)).isEqualTo(sha(43, 0, SIZE) + ":" + SIZE);
            s.shutdownOutput();
            assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(sent + ":" + 2 * SIZE);
        }
        String line = gw.awaitLine(0);
        assertThat(field(line, "outcome")).isEqualTo("ok");
        assertThat(number(line, "bytes_up")).isEqualTo(hello.length + 2 * SIZE);
        assertThat(number(line, "bytes_down")).isEqualTo(SIZE);
    }

    @Test
    void aSplicedTransferLongerThanTheIdleTimeoutIsNotIdle() throws Exception {
        start(s -> {
            s.getInputStream().readNBytes(hello.length);
            Clients.send(s.getOutputStream(), SIZE, 45);
            s.shutdownOutput();
            s.getInputStream().read();
        }, "1s");
        try (Socket s = Clients.tcp(gw.port())) {
            s.getOutputStream().write(hello);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 * 1024];
            long got = 0;
            long began = System.nanoTime();
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) { // 128 x (256 KiB, 20 ms): over 2.5 s
                got += n;
                Thread.sleep(20);
            }
            assertThat(got).isEqualTo(SIZE);
            assertThat(System.nanoTime() - began).as("longer than the idle timeout")
                    .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1500));
        }
        assertThat(field(gw.awaitLine(0), "outcome")).isEqualTo("ok");
        assertThat(spliced("down")).isGreaterThan(SIZE / 2);
    }

    /** The SHA-256 of bytes {@code from..to} of the stream {@link Clients#send} makes from {@code seed}. */
    static String sha(long seed, long from, long to) throws Exception {
        if (from == 0) {
            return Clients.send(OutputStream.nullOutputStream(), to, seed);
        }
        java.io.PipedInputStream pin = new java.io.PipedInputStream(1 << 20);
        java.io.PipedOutputStream pout = new java.io.PipedOutputStream(pin);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (pout) {
                Clients.send(pout, to, seed);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String a = Clients.receive(pin, from);
        String b = Clients.receiveAll(pin);
        writer.get();
        return a + "|" + b;
    }
}
