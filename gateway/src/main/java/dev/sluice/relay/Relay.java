package dev.sluice.relay;

import dev.sluice.session.Outcome;

import dev.sluice.session.ConnectionRecord;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Moves bytes from one leg to the other: one instance per direction. Writes in {@code channelRead}, flushes in
 * {@code channelReadComplete}; stops reading while the other leg cannot take more (its write buffer is above the
 * high water mark) and resumes when it drains, so a slow reader slows the writer and nothing piles up.
 * A FIN on one side becomes a half-close ({@code shutdownOutput}) on the other; both legs close when both
 * directions are done, or at once on a reset or the idle timeout.
 *
 * <p>A direction that has moved {@link #SPLICE_AFTER} bytes by copying goes on by {@link Splice} (zero copy) when
 * both legs allow it: bulk transfers leave user space, while short exchanges (a TLS handshake, an API call) and
 * idle tunnels keep the copy path and hold no pipe descriptors. Splice does its own backpressure (it stops
 * reading while the pipe waits for the peer).
 */
public final class Relay extends ChannelInboundHandlerAdapter {
    public static final String NAME = "relay";
    public static final String IDLE = "idle";
    /** Bytes a direction copies before it is spliced. */
    static final long SPLICE_AFTER = 128 * 1024;
    /**
     * What a leg may leave unread after its own FIN and still have ended in order: a TLS close_notify or two
     * (24-31 bytes each). A server that sends close_notify, FIN and closes meets the client's close_notify with a
     * reset; that is the normal end of HTTPS, not a cut tunnel.
     */
    static final long CLOSE_ALERTS = 64;

    private final Channel peer;
    private final ConnectionRecord tunnel;
    private final boolean upstream; // true: this reads from the client and writes to the proxy
    private final Shared shared;
    private final boolean canSplice; // decided once: the legs' transport and TLS do not change
    private long copied;
    private boolean splicing;
    private boolean inputEnded; // FIN seen while splicing: done once what is left has been spliced
    private long intoMeAtEnd = -1; // bytes of the other direction (into this leg) when this leg's FIN was passed on

    /** The state both directions of one tunnel share. */
    private static final class Shared {
        boolean upDone;
        boolean downDone;
        IdleStateHandler idle;
        Relay up; // reads the client, writes the upstream
        Relay down;
    }

    private Relay(Channel from, Channel peer, ConnectionRecord tunnel, boolean upstream, Shared shared) {
        this.peer = peer;
        this.tunnel = tunnel;
        this.upstream = upstream;
        this.shared = shared;
        this.canSplice = Splice.possible(from, peer);
    }

    /**
     * Joins two connected legs on one event loop: writes {@code firstBytes} (the buffered ClientHello) to the
     * upstream, then relays both ways until done. Both channels must have ALLOW_HALF_CLOSURE set.
     */
    public static void start(Channel client, Channel upstreamLeg, ByteBuf firstBytes, ConnectionRecord tunnel, long idleMillis) {
        Shared shared = new Shared();
        shared.idle = new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS);
        client.pipeline().addLast(IDLE, shared.idle);
        shared.up = new Relay(client, upstreamLeg, tunnel, true, shared);
        shared.down = new Relay(upstreamLeg, client, tunnel, false, shared);
        client.pipeline().addLast(NAME, shared.up);
        upstreamLeg.pipeline().addLast(NAME, shared.down);
        tunnel.addHelloBytes(firstBytes.readableBytes());
        tunnel.relaying();
        upstreamLeg.writeAndFlush(firstBytes, upstreamLeg.voidPromise());
        upstreamLeg.config().setAutoRead(true);
        client.config().setAutoRead(true);
        if (!client.isActive() || !upstreamLeg.isActive()) {
            closeBoth(client, upstreamLeg, tunnel);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            long n = buf.readableBytes();
            copied += n;
            count(n, false);
        }
        peer.write(msg, peer.voidPromise());
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        } else if (canSplice && copied >= SPLICE_AFTER && !splicing && !inputEnded) {
            startSplice(ctx);
        }
    }

    private void count(long n, boolean spliced) {
        if (upstream) {
            tunnel.addUp(n, spliced);
        } else {
            tunnel.addDown(n, spliced);
        }
    }

    private void startSplice(ChannelHandlerContext ctx) {
        splicing = true;
        peer.flush(); // what was copied goes first; the splice's writes queue behind it
        Splice.start(ctx.channel(), peer).addListener(f -> {
            if (f.isSuccess() || !splicing) {
                return;
            }
            splicing = false;
            Splice.stopped(ctx.channel());
            if (!ctx.channel().isActive() || !peer.isActive()) {
                return; // a leg is gone (a failed splice out closes it): channelInactive tells the outcome
            }
            if (Splice.noPipe(f.cause())) {
                ctx.channel().config().setAutoRead(true); // out of descriptors: reading goes on the ordinary way
            } else {
                // splice(2) from this leg failed (a reset): Netty tells only this future, closes nothing, and no
                // read event follows; without this the tunnel would wait for the idle timeout, or take the
                // EOF that a read after the reset returns for a FIN
                exceptionCaught(ctx, f.cause());
            }
        });
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (splicing) {
            long n = Splice.take(ctx.channel());
            if (n > 0) {
                count(n, true);
                shared.idle.resetReadTimeout(); // spliced bytes pass no handler: tell the idle timer
            } else if (inputEnded) {
                // a round that moved nothing after the FIN: the end, unless a full pipe kept the rest back
                ctx.channel().config().setAutoRead(false); // EOF stays readable: no polling while we wait
                if (Splice.drained(peer)) {
                    halfClose(ctx);
                } else {
                    peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                        if (f.isSuccess()) {
                            ctx.channel().config().setAutoRead(true); // look again once the pipe is empty
                        }
                    });
                }
            }
            return;
        }
        // the flush may have drained the peer at once; then no writability event will come to resume us
        if (!ctx.channel().config().isAutoRead() && peer.isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Relay writer = upstream ? shared.down : shared.up; // the direction that writes to this channel
        // a spliced direction's reading is paused and resumed by the splice itself
        if (ctx.channel().isWritable() && !writer.splicing) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (splicing) {
                inputEnded = true; // data may still wait in the socket: channelReadComplete decides when it is done
            } else {
                halfClose(ctx);
            }
        } else if (evt instanceof IdleStateEvent) {
            tunnel.fail(Outcome.IDLE_TIMEOUT, "no data in either direction for "
                    + shared.idle.getAllIdleTimeInMillis() + " ms");
            closeBoth(ctx.channel(), peer, tunnel);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void halfClose(ChannelHandlerContext ctx) {
        intoMeAtEnd = intoMe();
        if (upstream) {
            shared.upDone = true;
        } else {
            shared.downDone = true;
        }
        if (shared.upDone && shared.downDone) {
            tunnel.closing();
            Closing.afterFlush(peer);
            Closing.afterFlush(ctx.channel());
            return;
        }
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                SslHandler tls = peer.pipeline().get(SslHandler.class);
                if (tls != null) {
                    // a TLS leg (to an https:// proxy) says close_notify before its FIN, or the peer sees truncation
                    tls.closeOutbound().addListener(c -> shutdownOutput(peer));
                } else {
                    shutdownOutput(peer);
                }
            });
        }
    }

    private static void shutdownOutput(Channel ch) {
        if (ch instanceof DuplexChannel d && ch.isActive()) {
            d.shutdownOutput();
        }
    }

    /** Counts what this direction has spliced from {@code from} since its last count. */
    private void countSpliced(Channel from) {
        if (splicing) {
            long n = Splice.take(from);
            if (n > 0) {
                count(n, true);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        countSpliced(ctx.channel()); // the last round, if no channelReadComplete followed it
        if (!tunnel.isClosing()) {
            // not closed by us: both directions done would have set closing, so one is cut short
            boolean myInputDone = upstream ? shared.upDone : shared.downDone;
            if (!myInputDone) {
                tunnel.fail(Outcome.RESET, side() + " closed the connection abruptly");
            } else if (!endedInOrder()) {
                tunnel.fail(Outcome.RESET, side() + " connection lost while " + otherSide()
                        + " data was still going to it");
            }
            tunnel.closing();
            endPeer(myInputDone);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        boolean myInputDone = upstream ? shared.upDone : shared.downDone;
        if (!myInputDone || !endedInOrder()) {
            tunnel.fail(Outcome.RESET, side() + ": " + (cause instanceof IOException ? message : cause.toString()));
        }
        tunnel.closing();
        ctx.channel().close();
        endPeer(myInputDone);
    }

    /** Bytes relayed into this direction's leg so far (by the other direction). */
    private long intoMe() {
        return upstream ? tunnel.bytesDown() : tunnel.bytesUp();
    }

    /**
     * This leg ended its stream (FIN) and went away with at most {@link #CLOSE_ALERTS} bytes sent to it since:
     * the orderly end of a TLS session. Noted, not an error.
     */
    private boolean endedInOrder() {
        // spliced bytes are counted per read round: count the writer's last round before judging
        (upstream ? shared.down : shared.up).countSpliced(peer);
        long after = intoMe() - intoMeAtEnd;
        if (intoMeAtEnd < 0 || after > CLOSE_ALERTS) {
            return false;
        }
        if (after > 0) {
            tunnel.note(side() + " closed after its end of stream; the last " + after + " bytes for it (such as a "
                    + "TLS close_notify) were not delivered");
        }
        return true;
    }

    /**
     * The other leg after this one failed: a reset is passed on as one, but a leg that had ended its stream (FIN)
     * sent it whole, and what is queued of it is delivered first.
     */
    private void endPeer(boolean myInputDone) {
        if (myInputDone) {
            Closing.afterFlush(peer);
        } else {
            Closing.reset(peer);
        }
    }

    private String side() {
        return upstream ? "client" : "upstream";
    }

    private String otherSide() {
        return upstream ? "upstream" : "client";
    }

    private static void closeBoth(Channel a, Channel b, ConnectionRecord tunnel) {
        tunnel.closing();
        a.close();
        b.close();
    }
}
