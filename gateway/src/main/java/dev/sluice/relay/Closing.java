package dev.sluice.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
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

    /**
     * Ends {@code ch}'s output (a FIN), for a relay that writes nothing more to it. On epoll it is the shutdown(2)
     * call alone: Netty's own {@code shutdownOutput} also fails whatever writes could still be queued, and so makes
     * an exception every time, used or not. A failure (the peer reset meanwhile) is the next read's to report.
     */
    static void shutdownOutput(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        if (ch instanceof AbstractEpollStreamChannel epoll) {
            try {
                new Socket(epoll.fd().intValue()).shutdown(false, true); // a view of the fd: closes nothing
            } catch (IOException | RuntimeException ignored) {
                // the read that follows a reset reports it
            }
        } else if (ch instanceof DuplexChannel duplex) {
            duplex.shutdownOutput();
        }
    }

    /** Closes after everything already written has been flushed. */
    public static void afterFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ifOpen(ch);
        }
    }

    /** Closes now, unless closed already: each close() makes Netty build a ClosedChannelException, needed or not. */
    static void ifOpen(Channel ch) {
        if (ch.isOpen()) {
            ch.close();
        }
    }

    /**
     * Writes {@code last} and ends with an orderly FIN, so the peer reads it; resets instead when the write fails or
     * the peer has not closed its side within {@code boundMillis} (a peer that does not read or never closes cannot
     * hold the connection open). Between the FIN and the peer's, whatever it still sends is read and dropped: closing
     * a socket with unread bytes makes the kernel send a reset at once, and a reset may throw away the alert the peer
     * has not read yet. Takes ownership of {@code last}.
     */
    public static void afterWriting(Channel ch, ByteBuf last, long boundMillis) {
        if (!ch.isActive()) {
            last.release();
            reset(ch);
            return;
        }
        ScheduledFuture<?> bound = ch.eventLoop().schedule(() -> reset(ch), boundMillis, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> bound.cancel(false));
        ch.writeAndFlush(last).addListener((ChannelFuture written) -> {
            if (!written.isSuccess()) {
                reset(ch);
            } else if (ch instanceof DuplexChannel duplex && ch.isActive()) {
                ch.pipeline().addFirst(new DrainUntilEnd());
                ch.config().setAutoRead(true);
                duplex.shutdownOutput();
            } else {
                ch.close();
            }
        });
    }

    /** After our FIN: drops what the peer still sends, and closes once it has ended its side too. */
    private static final class DrainUntilEnd extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reset(ctx.channel());
        }
    }
}
