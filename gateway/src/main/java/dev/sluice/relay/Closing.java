package dev.sluice.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The ways a leg is closed. */
public final class Closing {
    private Closing() {
    }

    /** Closes with a TCP RST (SO_LINGER 0): for refusals, so the client fails at once instead of waiting. */
    public static void reset(Channel ch) {
        if (ch.isOpen()) {
            try {
                ch.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // already closing: a normal close is the best left
            }
            ch.close();
        }
    }

    /** Closes after everything already written has been flushed. */
    public static void afterFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /**
     * Writes {@code last} and closes with an orderly end (FIN), so the peer reads it; resets instead when the write
     * fails or is not done within {@code boundMillis} (a peer that does not read cannot hold the connection open).
     * Takes ownership of {@code last}.
     */
    public static void afterWriting(Channel ch, ByteBuf last, long boundMillis) {
        if (!ch.isActive()) {
            last.release();
            reset(ch);
            return;
        }
        ChannelFuture written = ch.writeAndFlush(last);
        if (written.isDone()) {
            closeOrReset(written);
            return;
        }
        ScheduledFuture<?> bound = ch.eventLoop().schedule(() -> reset(ch), boundMillis, TimeUnit.MILLISECONDS);
        written.addListener(f -> {
            bound.cancel(false);
            closeOrReset(written);
        });
    }

    private static void closeOrReset(ChannelFuture written) {
        if (written.isSuccess()) {
            written.channel().close();
        } else {
            reset(written.channel());
        }
    }
}
