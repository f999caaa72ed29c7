package dev.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds what the proxy sent after its 200 (tunnel bytes may come in the same segment as the answer), its end of
 * input and any error, in order, from the moment the tunnel is up until the relay is in the pipeline
 * ({@link #release}); then hands them on and leaves. Released bytes are dropped if the leg dies first.
 */
final class TunnelHold extends ChannelInboundHandlerAdapter {
    static final String NAME = "proxy-hold";

    private List<Object> held; // ByteBufs, the end of input, a Throwable

    TunnelHold(ByteBuf first) {
        if (first != null && first.isReadable()) {
            hold(first);
        } else if (first != null) {
            first.release();
        }
    }

    /** Gives the held bytes and events to the handlers after this one (the relay) and removes itself. */
    static void release(Channel upstream) {
        if (upstream.pipeline().get(NAME) != null) {
            upstream.pipeline().remove(NAME);
        }
    }

    private void hold(Object msg) {
        if (held == null) {
            held = new ArrayList<>(2);
        }
        held.add(msg);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        hold(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // nothing to flush downstream yet
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        hold(cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            hold(evt); // after the bytes it follows
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (held != null) {
            held.forEach(m -> {
                if (!(m instanceof Throwable)) {
                    ReferenceCountUtil.release(m);
                }
            });
            held = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        List<Object> h = held;
        held = null;
        if (h == null) {
            return;
        }
        boolean read = false;
        for (Object m : h) {
            if (m instanceof ChannelInputShutdownEvent) {
                ctx.fireUserEventTriggered(m);
            } else if (m instanceof Throwable t) {
                ctx.fireExceptionCaught(t);
            } else {
                read = true;
                ctx.fireChannelRead(m);
            }
        }
        if (read) {
            ctx.fireChannelReadComplete();
        }
    }
}
