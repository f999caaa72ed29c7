package dev.sluice.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/**
 * Reads a channel one message at a time, behind a {@code FlowControlHandler} with auto-read off: {@link #read}
 * asks for the next message unless one is asked for already (a second read could bring the next pipelined
 * request while one is in flight), and asks again when a read round ended without it (the flow-control handler
 * counts such a read as done). Notes the peer's FIN ({@link #inputShutdown}); with half-closure allowed it closes
 * nothing by itself.
 */
abstract class OneByOne extends ChannelInboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private boolean started;
    private boolean readPending;
    private boolean inputShutdown;

    /** The next message, from {@link #read}. */
    protected abstract void message(Object msg);

    /** The peer ended its side; what was read before is still handed over when asked for. */
    protected abstract void ended();

    /** False once nothing more is wanted (refused, handed over). */
    protected abstract boolean reading();

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (!started) {
            started = true;
            read();
        }
    }

    /** Asks for the next message (a message already read is handed over before this returns). */
    protected final void read() {
        if (!readPending) {
            readPending = true;
            ctx.read();
        }
    }

    /** True while a message asked for has not come. */
    protected final boolean waiting() {
        return readPending;
    }

    protected final boolean inputShutdown() {
        return inputShutdown;
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        readPending = false;
        message(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            ended();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public final void channelReadComplete(ChannelHandlerContext ctx) {
        if (readPending && reading()) {
            readPending = false;
            read();
        }
        ctx.fireChannelReadComplete();
    }
}
