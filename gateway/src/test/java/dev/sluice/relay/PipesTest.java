package dev.sluice.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The large pipes a splice writes into: 1 MiB each (the kernel's pipe-max-size), so a spliced gigabyte takes a
 * sixteenth of the splice calls; bounded in number, so they never push the user over fs.pipe-user-pages-soft;
 * given back when the channel closes. The bytes through them: {@code SpliceRelayTest}.
 */
class PipesTest {
    private static EventLoopGroup loop;

    @BeforeAll
    static void load() {
        Assumptions.assumeTrue(Epoll.isAvailable(), "splice needs the epoll transport");
        loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Pipes.loadInBackground();
        await().atMost(Duration.ofSeconds(20)).until(Pipes::loaded);
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** A socket on the loop, as the relay's legs are. */
    private static EpollSocketChannel channel() {
        EpollSocketChannel ch = new EpollSocketChannel();
        loop.register(ch).syncUninterruptibly();
        return ch;
    }

    @Test
    void aChannelGetsAOneMebibytePipeThatClosesWithIt() throws Exception {
        EpollSocketChannel ch = channel();
        int before = Pipes.alive();
        assertThat(Pipes.enlarge(ch)).isEqualTo(1 << 20);
        assertThat(Pipes.capacity(ch)).as("F_GETPIPE_SZ of the pipe Netty will splice into").isEqualTo(1 << 20);
        assertThat(Pipes.enlarge(ch)).as("a channel has one pipe").isZero();
        assertThat(Pipes.alive()).isEqualTo(before + 1);

        ch.close().syncUninterruptibly();
        await().atMost(Duration.ofSeconds(5)).until(() -> Pipes.alive() == before);
    }

    @Test
    void pastTheBudgetNettysOwnPipesAreUsed() throws Exception {
        List<EpollSocketChannel> channels = new ArrayList<>();
        try {
            int given = 0;
            for (int i = 0; i < 80; i++) {
                EpollSocketChannel ch = channel();
                channels.add(ch);
                if (Pipes.enlarge(ch) > 0) {
                    given++;
                }
            }
            // half of fs.pipe-user-pages-soft (16384 pages by default: 32 pipes of 256 pages), at most 64
            assertThat(given).isBetween(1, 64);
            assertThat(Pipes.capacity(channels.get(79))).as("no pipe: Netty makes its own").isZero();
        } finally {
            channels.forEach(ch -> ch.close().syncUninterruptibly());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Pipes.alive() == 0);
    }
}
