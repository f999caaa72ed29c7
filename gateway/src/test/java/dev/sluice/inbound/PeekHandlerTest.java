package dev.sluice.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handler in an EmbeddedChannel: it holds every byte, reports once, and hands the bytes over unchanged. */
class PeekHandlerTest {

    static final class Recorder implements PeekListener {
        final List<String> events = new ArrayList<>();
        Hello hello;
        PeekHandler peek;

        @Override
        public void onHello(Channel channel, Hello hello, PeekHandler peek) {
            events.add("hello");
            this.hello = hello;
            this.peek = peek;
        }

        @Override
        public void onFailure(Channel channel, PeekFailure failure, String reason, int bytesRead) {
            events.add(failure + ": " + reason);
        }
    }

    @Test
    void holdsTheHelloAndHandsOverEveryByteUnchanged() throws Exception {
        byte[] hello = ClientHelloParserTest.fixture("chromium.bin");
        byte[] after = {1, 2, 3};
        Recorder r = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PeekHandler(64 * 1024, 10_000, r));
        for (int i = 0; i < hello.length; i += 100) {
            ch.writeInbound(Unpooled.wrappedBuffer(hello, i, Math.min(100, hello.length - i)));
        }
        assertThat(r.events).containsExactly("hello");
        assertThat(r.hello.sni()).isEqualTo("www.example.com");
        ch.writeInbound(Unpooled.wrappedBuffer(after)); // arrives while the tunnel is being set up
        assertThat((Object) ch.readInbound()).isNull();
        ByteBuf all = r.peek.release();
        byte[] expected = Arrays.copyOf(hello, hello.length + 3);
        System.arraycopy(after, 0, expected, hello.length, 3);
        assertThat(ByteBufUtil.getBytes(all)).isEqualTo(expected);
        all.release();
        assertThat(ch.pipeline().get(PeekHandler.class)).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesAfterTheHelloAreHeldOnlyUpToTheLimitThenReadingPauses() throws Exception {
        byte[] hello = ClientHelloParserTest.fixture("go.bin");
        Recorder r = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PeekHandler(4096, 10_000, r));
        ch.writeInbound(Unpooled.wrappedBuffer(hello));
        assertThat(r.events).containsExactly("hello");
        assertThat(ch.config().isAutoRead()).as("still reading, to notice a client that leaves").isTrue();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[4096]));
        assertThat(ch.config().isAutoRead()).as("paused past the limit").isFalse();
        r.peek.release().release();
        ch.finishAndReleaseAll();
    }

    @Test
    void notTlsIsReportedOnce() {
        Recorder r = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PeekHandler(64 * 1024, 10_000, r));
        ch.writeInbound(Unpooled.copiedBuffer("SSH-2.0-OpenSSH_9.2\r\n".getBytes()));
        ch.writeInbound(Unpooled.copiedBuffer("more".getBytes()));
        assertThat(r.events).hasSize(1);
        assertThat(r.events.get(0)).startsWith("NOT_TLS: not TLS: first byte 0x53");
        ch.finishAndReleaseAll();
    }

    @Test
    void stalledClientTimesOut() throws Exception {
        Recorder r = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PeekHandler(64 * 1024, 10_000, r));
        byte[] hello = ClientHelloParserTest.fixture("go.bin");
        ch.writeInbound(Unpooled.wrappedBuffer(hello, 0, 20));
        ch.advanceTimeBy(9, TimeUnit.SECONDS); // the embedded clock also runs in real time: keep a wide margin
        ch.runScheduledPendingTasks();
        assertThat(r.events).isEmpty();
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(r.events).containsExactly("TIMEOUT: no complete ClientHello after 10000 ms (20 bytes received)");
        ch.finishAndReleaseAll();
    }

    @Test
    void halfCloseBeforeTheHelloIsComplete() throws Exception {
        Recorder r = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PeekHandler(64 * 1024, 10_000, r));
        byte[] hello = ClientHelloParserTest.fixture("go.bin");
        ch.writeInbound(Unpooled.wrappedBuffer(hello, 0, 20));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(r.events).hasSize(1);
        assertThat(r.events.get(0)).startsWith("CLOSED: client closed its side after 20 bytes");
        ch.finishAndReleaseAll();
    }

    @Test
    void closeBeforeAnythingIsReported() {
        Recorder r = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new PeekHandler(64 * 1024, 10_000, r));
        ch.close();
        assertThat(r.events).containsExactly("CLOSED: client closed without sending anything");
    }
}
