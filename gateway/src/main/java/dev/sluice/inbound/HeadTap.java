package dev.sluice.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/**
 * Sits before the HTTP decoder of a plain HTTP listener and keeps a copy of every byte read until the first
 * request is routed: a connection that is relayed as it is ({@code direct}, or CONNECT to port 80) is replayed
 * from these bytes, not from what the decoder made of them. Whoever routes the first request stops reading
 * until then, so what is kept is the request head and at most one read after it. {@link #drop} lets go of the
 * copy when the decoder's reading is what goes on.
 */
public final class HeadTap extends ChannelInboundHandlerAdapter implements HeldBytes {
    public static final String NAME = "head-tap";

    private ChannelHandlerContext ctx;
    private CompositeByteBuf held;
    private int bytesRead;
    private boolean inputShutdown;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        held = ctx.alloc().compositeBuffer(64);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytesRead += buf.readableBytes();
            if (held != null) {
                held.addComponent(true, buf.copy()); // a copy: the decoder may write into its buffer
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public ByteBuf release() {
        ByteBuf out = held;
        held = null;
        ctx.pipeline().remove(this);
        return out;
    }

    /** The decoder's reading goes on: the copy is not needed. */
    public void drop() {
        ctx.pipeline().remove(this);
    }

    @Override
    public int bytesRead() {
        return bytesRead;
    }

    @Override
    public boolean inputShutdown() {
        return inputShutdown;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
