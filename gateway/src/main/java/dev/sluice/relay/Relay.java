package dev.sluice.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Moves bytes from one leg to the other: one instance per {@link Direction}. Writes in {@code channelRead}, flushes
 * in {@code channelReadComplete}; stops reading while the other leg cannot take more (its write buffer is above the
 * high water mark) and resumes when it drains, so a slow reader slows the writer and nothing piles up. What a FIN,
 * a lost or failed leg and the idle timeout mean is decided by {@link EndOfStream}; this class does what it says.
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

    private final Direction direction;
    private final Channel from;
    private final Channel peer;
    private final Joint joint;
    private final boolean canSplice; // decided once: the legs' transport and TLS do not change
    private long copied;
    private boolean splicing;
    private boolean closesAtFin; // its leg's output is shut and Netty closes it at its FIN (see #halfClose)

    /** What both directions of one tunnel share. */
    private static final class Joint {
        final EndOfStream end = new EndOfStream();
        final RelayReport report;
        final IdleStateHandler idle;
        Relay up; // reads the client, writes the upstream
        Relay down;

        Joint(RelayReport report, long idleMillis) {
            this.report = report;
            this.idle = new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS);
        }

        Relay writerTo(Direction d) {
            return d == Direction.CLIENT_TO_PROXY ? down : up;
        }
    }

    private Relay(Direction direction, Channel from, Channel peer, Joint joint) {
        this.direction = direction;
        this.from = from;
        this.peer = peer;
        this.joint = joint;
        this.canSplice = Splice.possible(from, peer);
    }

    /**
     * The hand-over after a dial: joins the two legs (both on one event loop, with ALLOW_HALF_CLOSURE set) and
     * relays both ways until done. The client's prefix is written upstream first, then what the upstream leg held
     * is released into the relay, then a client FIN seen while the prefix was held is passed on.
     */
    public static void join(ClientLeg clientLeg, UpstreamLeg upstreamLeg, long idleMillis, RelayReport report) {
        Channel client = clientLeg.channel();
        Channel upstream = upstreamLeg.channel();
        ByteBuf prefix = clientLeg.prefix();
        Joint joint = new Joint(report, idleMillis);
        client.pipeline().addLast(IDLE, joint.idle);
        joint.up = new Relay(Direction.CLIENT_TO_PROXY, client, upstream, joint);
        joint.down = new Relay(Direction.PROXY_TO_CLIENT, upstream, client, joint);
        client.pipeline().addLast(NAME, joint.up);
        upstream.pipeline().addLast(NAME, joint.down);
        report.joined(prefix.readableBytes());
        upstream.writeAndFlush(prefix, upstream.voidPromise());
        upstream.config().setAutoRead(true);
        client.config().setAutoRead(true);
        if (!client.isActive() || !upstream.isActive()) {
            joint.up.act(joint.end.abandon());
        }
        upstreamLeg.release().accept(upstream); // what came with the proxy's answer, now that the relay is there
        if (clientLeg.ended()) {
            client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            long n = buf.readableBytes();
            copied += n;
            joint.end.moved(direction, n);
            joint.report.moved(direction, n, false);
        }
        peer.write(msg, peer.voidPromise());
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        } else if (canSplice && copied >= SPLICE_AFTER && !splicing && !joint.end.finSeen(direction)) {
            startSplice(ctx);
        }
    }

    private void startSplice(ChannelHandlerContext ctx) {
        splicing = true;
        if (closesAtFin) {
            // a spliced FIN comes before the data still to splice (see #halfClose): half-closure again
            closesAtFin = false;
            ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        }
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
                joint.report.moved(direction, n, true);
                joint.idle.resetReadTimeout(); // spliced bytes pass no handler: tell the idle timer
            }
            act(joint.end.splicedRound(direction, n, Splice.drained(peer)));
            return;
        }
        // the flush may have drained the peer at once; then no writability event will come to resume us
        if (!ctx.channel().config().isAutoRead() && peer.isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // a spliced direction's reading is paused and resumed by the splice itself
        if (ctx.channel().isWritable() && !joint.writerTo(direction).splicing) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            act(joint.end.fin(direction, splicing));
        } else if (evt instanceof IdleStateEvent) {
            act(joint.end.idle(joint.idle.getAllIdleTimeInMillis()));
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        countSpliced(ctx.channel()); // the last round, if no channelReadComplete followed it
        if (closesAtFin && !joint.end.closing() && !joint.report.closedByOwner()) {
            act(joint.end.fin(direction, false)); // its FIN, on which Netty closed it
        }
        if (!joint.end.closing() && !joint.report.closedByOwner()) {
            joint.writerTo(direction).countSpliced(peer); // into this leg: judged below
            act(joint.end.lost(direction));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        joint.writerTo(direction).countSpliced(peer); // into this leg: judged below
        act(joint.end.failed(direction, cause instanceof IOException ? message : cause.toString()));
    }

    /** Counts what this direction has spliced from {@code from} since its last count. */
    private void countSpliced(Channel from) {
        if (splicing) {
            long n = Splice.take(from);
            if (n > 0) {
                joint.end.moved(direction, n);
                joint.report.moved(direction, n, true);
            }
        }
    }

    /** Does what {@link EndOfStream} decided: to the leg this direction reads first, then to the other. */
    private void act(EndOfStream.Decision d) {
        if (d.failed() != null) {
            joint.report.failed(d.failed());
        }
        if (d.note() != null) {
            joint.report.note(d.note());
        }
        act(d.self(), this);
        act(d.peer(), joint.writerTo(direction)); // the direction that reads the peer
    }

    /** Does {@code act} to the leg that {@code reader} reads. */
    private static void act(EndOfStream.Act act, Relay reader) {
        Channel ch = reader.from;
        Channel other = reader.peer;
        switch (act) {
            case NOTHING -> { }
            case STOP_READING -> ch.config().setAutoRead(false);
            case FLUSH_THEN_READ_OTHER -> ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                if (f.isSuccess()) {
                    other.config().setAutoRead(true); // look again once the pipe is empty
                }
            });
            case HALF_CLOSE -> reader.halfClose();
            case CLOSE_AFTER_FLUSH -> Closing.afterFlush(ch);
            case CLOSE -> Closing.ifOpen(ch);
            case RESET -> Closing.reset(ch);
        }
    }

    /**
     * Flushes this direction's leg, then ends its output: after a close_notify on a TLS leg (to an https:// proxy).
     *
     * <p>On a plain leg read by copying, its own FIN then closes it at once (ALLOW_HALF_CLOSURE off): nothing more
     * is to be written to it, and Netty reports a copied FIN only after the last byte before it was read. This is
     * for speed: with half-closure on, Netty answers that FIN with shutdown(SHUT_RD), which fails with ENOTCONN
     * once both FINs have passed (the socket is then CLOSED) and costs an exception on every orderly end. A
     * spliced leg keeps half-closure (and a leg that starts splicing later gets it back): Netty reports a spliced
     * FIN while data may still wait to be spliced.
     */
    private void halfClose() {
        Channel ch = from;
        if (!ch.isActive()) {
            return;
        }
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            SslHandler tls = ch.pipeline().get(SslHandler.class);
            if (tls != null) {
                // without close_notify before the FIN, the peer of a TLS leg sees truncation
                tls.closeOutbound().addListener(c -> Closing.shutdownOutput(ch));
                return;
            }
            if (!splicing && ch.isActive()) {
                closesAtFin = true;
                ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
            }
            Closing.shutdownOutput(ch);
        });
    }
}
