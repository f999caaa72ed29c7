package dev.sluice.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;

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
}
