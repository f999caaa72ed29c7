package dev.sluice.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Closing#afterWriting}: the last bytes go out and the leg closes, or it is closed within the bound. */
class ClosingTest {
    private static final byte[] ALERT = {21, 3, 1, 0, 2, 2, 49};

    @Test
    void writesTheBytesThenCloses() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Closing.afterWriting(ch, Unpooled.wrappedBuffer(ALERT), 1000);
        ByteBuf out = ch.readOutbound();
        assertThat(ByteBufUtil.getBytes(out)).containsExactly(ALERT);
        out.release();
        assertThat(ch.isOpen()).as("closed once written").isFalse();
    }

    @Test
    void aWriteThatDoesNotCompleteIsCutOffAtTheBound() {
        // a peer that does not read: the write's promise never completes
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
            }
        });
        ch.freezeTime(); // the channel's clock moves only when told
        Closing.afterWriting(ch, Unpooled.wrappedBuffer(ALERT), 1000);
        ch.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).as("still waiting for the write before the bound").isTrue();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).as("closed at the bound").isFalse();
    }

    @Test
    void aFailedWriteClosesAtOnce() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(new java.io.IOException("Connection reset by peer"));
            }
        });
        Closing.afterWriting(ch, Unpooled.wrappedBuffer(ALERT), 1000);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aLegAlreadyGoneGetsNothingAndTheBytesAreFreed() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.close();
        ByteBuf alert = Unpooled.wrappedBuffer(ALERT);
        Closing.afterWriting(ch, alert, 1000);
        assertThat(alert.refCnt()).isZero();
        assertThat((Object) ch.readOutbound()).isNull();
    }
}
