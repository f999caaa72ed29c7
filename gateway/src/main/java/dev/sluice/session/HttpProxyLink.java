package dev.sluice.session;

import dev.sluice.inbound.RequestTarget;
import dev.sluice.upstream.DialException;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.Upstream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;

/**
 * The connection to a proxy that one plain HTTP client connection's requests go through: dialled with
 * {@link Dialer#forHttp} (failover, health and authentication as for tunnels), Netty's HTTP client codec on it,
 * kept for the next request to the same upstream. What the proxy sends, its writability and its close go to
 * {@link Events}; only the connection in use is heard. Used on the client connection's event loop.
 */
final class HttpProxyLink {
    static final String CODEC = "http-client";
    static final String ANSWERS = "http-answers";
    /** The largest answer head, and the largest body piece handed on at once. */
    static final int MAX_HEAD = 64 * 1024;

    /** What the link tells the forwarder. */
    interface Events {
        /** Connected (and authenticated) for {@code up}: the request can go. */
        void ready(Upstream up);

        /** No proxy of {@code up} could be reached. */
        void failed(Upstream up, DialException e);

        /** A piece of the proxy's answer (the caller owns it). */
        void answer(HttpObject msg);

        /** The end of a read from the proxy: time to flush to the client. */
        void readComplete();

        /** The proxy takes more bytes again. */
        void writable();

        /** The connection in use closed. */
        void closed();
    }

    private final Dialer dialer;
    private final EventLoop loop;
    private final long connectMillis;
    private final InetAddress client;
    private final ConnectionRecord record;
    private final Events events;
    private Channel channel;
    private String upstream;
    private String authorization;
    private RecordedDial recorded; // of the connection in use: names its proxy
    private Future<Channel> dialing;

    HttpProxyLink(Dialer dialer, EventLoop loop, long connectMillis, InetAddress client, ConnectionRecord record,
                  Events events) {
        this.dialer = dialer;
        this.loop = loop;
        this.connectMillis = connectMillis;
        this.client = client;
        this.record = record;
        this.events = events;
    }

    /** True when a connection to {@code up} is open and can take the next request. */
    boolean openTo(Upstream up) {
        return channel != null && channel.isActive() && up.name().equals(upstream);
    }

    /**
     * Closes the connection in use, if any, and dials one of {@code up}'s proxies for {@code target}; tells
     * {@link Events#ready} or {@link Events#failed}. The connection's first dial writes its attempts into the
     * connection's record; every dial names its proxy in {@code rec}.
     */
    void dial(Upstream up, RequestTarget target, RequestRecord rec) {
        close();
        boolean firstDial = record.proxy() == null && record.attempts().isEmpty();
        RecordedDial observer = new RecordedDial(record, rec, firstDial);
        Future<Channel> f = dialer.forHttp(loop, up, up.candidates(), target.absolute(), connectMillis, client,
                observer);
        recorded = observer;
        dialing = f;
        f.addListener(done -> dialed(f, up));
    }

    private void dialed(Future<Channel> f, Upstream up) {
        if (f != dialing || f.isCancelled()) {
            return;
        }
        dialing = null;
        if (!f.isSuccess()) {
            events.failed(up, f.cause() instanceof DialException de ? de
                    : new DialException(DialException.Kind.CONNECT, String.valueOf(f.cause())));
            return;
        }
        Channel ch = f.getNow();
        channel = ch;
        upstream = up.name();
        authorization = Dialer.requestAuthorization(ch);
        ch.pipeline().addLast(CODEC, new HttpClientCodec(new HttpDecoderConfig().setMaxHeaderSize(MAX_HEAD)
                .setMaxChunkSize(MAX_HEAD), false, false));
        ch.pipeline().addLast(ANSWERS, new Answers(ch));
        ch.closeFuture().addListener(c -> {
            if (ch == channel) {
                channel = null;
                events.closed();
            }
        });
        Dialer.handOver(ch);
        events.ready(up);
    }

    /** The proxy the connection in use goes to, as the access log names it. */
    String via() {
        return recorded == null ? null : recorded.via();
    }

    /** Sends a request head, with the Basic credentials the proxy wants on every request. */
    ChannelFuture send(HttpRequest head) {
        if (authorization != null) {
            head.headers().set("Proxy-Authorization", authorization);
        }
        return channel.writeAndFlush(head);
    }

    /** Sends a piece of a request's body (or its end); false when there is no connection to send it on. */
    boolean write(HttpObject piece) {
        if (channel == null || !channel.isActive()) {
            ReferenceCountUtil.release(piece);
            return false;
        }
        channel.writeAndFlush(piece);
        return true;
    }

    boolean isWritable() {
        return channel != null && channel.isWritable();
    }

    /** Stops (or resumes) reading the proxy's answer, while the client cannot take more. */
    void pause(boolean pause) {
        if (channel != null && channel.isActive()) {
            channel.config().setAutoRead(!pause);
        }
    }

    /** Closes the connection in use (quietly: no {@link Events#closed}) and abandons a dial. */
    void close() {
        if (dialing != null) {
            dialing.cancel(false);
            dialing = null;
        }
        if (channel != null) {
            Channel ch = channel;
            channel = null;
            ch.close();
        }
    }

    /** The proxy's side of the connection in use. */
    private final class Answers extends ChannelInboundHandlerAdapter {
        private final Channel mine;

        Answers(Channel mine) {
            this.mine = mine;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (mine != channel) {
                ReferenceCountUtil.release(msg);
                return;
            }
            events.answer((HttpObject) msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (mine == channel) {
                events.readComplete();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (mine == channel && mine.isWritable()) {
                events.writable();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // its close is the event
        }
    }
}
