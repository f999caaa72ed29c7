package dev.sluice.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Holds a client's first bytes until its ClientHello is complete, within a size and a time limit, and reports
 * the result to a {@link PeekListener}. It never consumes: every byte read is kept, in order, and handed over by
 * {@link #release} to be replayed into the tunnel. Bytes that arrive after the hello (while the tunnel is being
 * set up) are kept too, up to the same size limit; past it, reading pauses until the relay takes over.
 */
public final class PeekHandler extends ChannelInboundHandlerAdapter implements HeldBytes {
    public static final String NAME = "peek";

    private final ClientHelloParser parser;
    private final int maxBytes;
    private final long timeoutMillis;
    private final PeekListener listener;
    private CompositeByteBuf held;
    private ScheduledFuture<?> timeout;
    private boolean decided;
    private boolean inputShutdown;
    private int bytesRead;
    private ChannelHandlerContext ctx;

    public PeekHandler(int maxBytes, long timeoutMillis, PeekListener listener) {
        this.parser = new ClientHelloParser(maxBytes);
        this.maxBytes = maxBytes;
        this.timeoutMillis = timeoutMillis;
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        held = ctx.alloc().compositeBuffer(64);
        timeout = ctx.executor().schedule(this::timedOut, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        bytesRead += buf.readableBytes();
        if (decided) {
            held.addComponent(true, buf);
            if (held.readableBytes() > maxBytes) {
                ctx.channel().config().setAutoRead(false); // bounded: the rest waits in the kernel
            }
            return;
        }
        // parse before handing buf to the composite: adding may consolidate (and free) it
        ClientHelloParser.State state = ClientHelloParser.State.NEED_MORE;
        for (ByteBuffer view : buf.nioBuffers(buf.readerIndex(), buf.readableBytes())) {
            state = parser.feed(view);
            if (state != ClientHelloParser.State.NEED_MORE) {
                break;
            }
        }
        held.addComponent(true, buf);
        switch (state) {
            case NEED_MORE -> { }
            case DONE -> {
                // Reading goes on while the tunnel is set up, so that a client that goes away is noticed;
                // what it sends meanwhile is held, up to maxBytes, then reading pauses.
                decide();
                listener.onHello(ctx.channel(), parser.hello(), this);
            }
            case NOT_TLS -> fail(PeekFailure.NOT_TLS, parser.error());
            case TOO_LARGE -> fail(PeekFailure.TOO_LARGE, parser.error());
            default -> fail(PeekFailure.MALFORMED, parser.error());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!decided) {
            fail(PeekFailure.CLOSED, bytesRead == 0 ? "client closed without sending anything"
                    : "client closed after " + bytesRead + " bytes, before the ClientHello was complete");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            if (!decided) {
                fail(PeekFailure.CLOSED, "client closed its side after " + bytesRead
                        + " bytes, before the ClientHello was complete");
            }
            return; // replayed by whoever takes over, see #inputShutdown
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public boolean inputShutdown() {
        return inputShutdown;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!decided) {
            fail(PeekFailure.RESET, "client connection failed during the ClientHello: " + cause.getMessage());
        } else {
            // After the hello, while the tunnel is set up: the client is gone (with half-closure allowed a reset
            // does not close the channel by itself). The owner acts on the close.
            ctx.close();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimeout();
        if (held != null) {
            held.release();
            held = null;
        }
    }

    /** Hands over every byte read so far: the ClientHello and anything after it. */
    @Override
    public ByteBuf release() {
        ByteBuf out = held;
        held = null;
        ctx.pipeline().remove(this);
        return out;
    }

    @Override
    public int bytesRead() {
        return bytesRead;
    }

    private void timedOut() {
        if (!decided) {
            fail(PeekFailure.TIMEOUT, "no complete ClientHello after " + timeoutMillis + " ms ("
                    + bytesRead + " bytes received)");
        }
    }

    private void fail(PeekFailure failure, String reason) {
        decide();
        listener.onFailure(ctx.channel(), failure, reason, bytesRead);
    }

    private void decide() {
        decided = true;
        cancelTimeout();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    /** The channel this handler peeks on. */
    public Channel channel() {
        return ctx.channel();
    }
}
