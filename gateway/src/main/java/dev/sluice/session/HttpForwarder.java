package dev.sluice.session;

import dev.sluice.config.AuthScheme;
import dev.sluice.config.HttpMode;
import dev.sluice.config.Printable;
import dev.sluice.inbound.HeadTap;
import dev.sluice.inbound.RequestTarget;
import dev.sluice.policy.Decision;
import dev.sluice.relay.Closing;
import dev.sluice.upstream.DialException;
import dev.sluice.upstream.DialObserver;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.Upstream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Carries the plain HTTP requests of one client connection (a listener with {@code peek: http}), one at a time
 * and in order: reads a request head (Netty's {@link dev.sluice.inbound.StrictRequestDecoder}; a
 * {@code FlowControlHandler} before this hands over one message per read), routes it by its target
 * ({@link RequestTarget}) through the connection's {@link Owner}, and, for {@code splice} with
 * {@code http: absolute}, sends it to a proxy of the upstream in absolute form with the body streamed as it
 * comes (reading the client only while the proxy takes more), then streams the proxy's answer back the same
 * way. The next request is read only when the answer has ended, so pipelined requests are answered in order.
 * Keep-alive on both sides; the proxy connection is kept for the next request to the same upstream.
 *
 * <p>The first request decides what the connection is: when its route is {@code direct}, or {@code splice}
 * through an upstream with {@code http: connect}, the owner relays the connection's bytes as they are
 * ({@link Owner#relayRaw}). A later request that routes elsewhere than a proxy in absolute form gets
 * {@code 421}; one its rule rejects gets {@code 403}; both close the connection, as every refusal does.
 */
final class HttpForwarder extends ChannelInboundHandlerAdapter {
    static final String NAME = "http-forwarder";
    /** The longest path shown in a log line. */
    static final int MAX_PATH = 256;

    /** What the connection decides for each request. */
    interface Owner {
        /** The route for {@code target}; the first request's is the connection's. */
        Route route(RequestTarget target, boolean first);

        /** The first request's route goes on with the connection's bytes as they are: take over. */
        void relayRaw(Route route);

        /** Answer the client {@code status} with {@code reason} and close (the HTTP handlers are gone). */
        void refuse(int status, String reason);

        ConnectionRecord record();

        /** Where the client's connection was going (null when the listener cannot know). */
        InetAddress dstAddress();

        /** The port it was going to, or the listener's default port. */
        int port();
    }

    /**
     * A request's route: the policy's {@code decision}, the {@code upstream} for {@code splice}, or a refusal:
     * {@code status} and {@code reason} (status 0: none).
     */
    record Route(Decision decision, Upstream upstream, int status, String reason) {
        boolean raw() {
            return decision.action() != dev.sluice.config.Action.SPLICE || upstream.http() == HttpMode.CONNECT;
        }
    }

    /** HEAD: waiting for a request head; BODY: a request and its answer in flight; DONE: refused or handed over. */
    private enum State { HEAD, BODY, DONE }

    private final Owner owner;
    private final Dialer dialer;
    private final InetAddress clientAddress;
    private final long headMillis;
    private final long connectMillis;
    private final long idleMillis;
    private ChannelHandlerContext ctx;
    private State state = State.HEAD;
    private boolean first = true;
    private boolean started;
    private boolean readPending;
    private long lastProgress = System.nanoTime();
    private ScheduledFuture<?> timer;
    // the request in flight
    private RequestRecord rec;
    private HttpRequest outbound;
    private RequestTarget target;
    private Route route;
    private boolean http10;
    private boolean headRequest;
    private boolean clientKeepAlive;
    private boolean requestDone;
    private boolean bodyless;
    private boolean reusedProxy;
    private boolean retried;
    private boolean answerStarted;
    private boolean informational;
    private boolean closeAfter;
    private boolean proxyKeepAlive;
    // the proxy connection
    private Channel proxy;
    private String proxyUpstream;
    private String proxyAuthorization;
    private Future<Channel> dialing;

    HttpForwarder(Owner owner, Dialer dialer, InetAddress clientAddress, long headMillis, long connectMillis,
                  long idleMillis) {
        this.owner = owner;
        this.dialer = dialer;
        this.clientAddress = clientAddress;
        this.headMillis = headMillis;
        this.connectMillis = connectMillis;
        this.idleMillis = idleMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        arm(headMillis);
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

    /**
     * Asks for the next message, unless one is asked for already: the flow-control handler before this passes one
     * message per read, and a second read could bring the next pipelined request while this one is in flight.
     */
    private void read() {
        if (!readPending) {
            readPending = true;
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readPending = false;
        lastProgress = System.nanoTime();
        if (state == State.HEAD && msg instanceof HttpRequest req) {
            try {
                head(req);
            } finally {
                ReferenceCountUtil.release(msg); // a FullHttpRequest only when invalid
            }
        } else if (state == State.BODY && msg instanceof HttpContent c) {
            body(c);
        } else {
            ReferenceCountUtil.release(msg); // after a refusal, before the close
        }
    }

    /**
     * A read round ended without the message asked for (the decoder had only part of it): the flow-control
     * handler counts that read as done, so it is asked for again.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readPending && state != State.DONE) {
            readPending = false;
            read();
        }
        ctx.fireChannelReadComplete();
    }

    // ---- the request ----

    private void head(HttpRequest req) {
        String path = req.uri();
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        String hostField = req.headers().get(HttpHeaderNames.HOST);
        rec = new RequestRecord(RequestTarget.method(req.method().name()), hostField == null ? null
                : RequestTarget.shown(hostField), Printable.of(p, 0, p.length, MAX_PATH));
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            int status = cause instanceof TooLongHttpLineException ? 414
                    : cause instanceof TooLongHttpHeaderException ? 431 : cause instanceof TooLongFrameException ? 431
                    : 400;
            refuse(status, Outcome.BAD_REQUEST, "malformed request: " + RequestTarget.shown(String.valueOf(
                    cause.getMessage())));
            return;
        }
        HttpVersion v = req.protocolVersion();
        if (v.majorVersion() != 1 || v.minorVersion() > 1) {
            refuse(505, Outcome.BAD_REQUEST, "HTTP version " + RequestTarget.shown(v.text()) + " is not served");
            return;
        }
        http10 = v.minorVersion() == 0;
        String upgrade = req.headers().get(HttpHeaderNames.UPGRADE);
        if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            refuse(501, Outcome.BAD_REQUEST, "WebSocket upgrades are not carried: the gateway forwards plain "
                    + "HTTP requests through the proxy one by one");
            return;
        }
        List<String> codings = req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty() && !(codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"))) {
            refuse(501, Outcome.BAD_REQUEST, "Transfer-Encoding: " + RequestTarget.shown(String.join(", ", codings))
                    + " is not forwarded (only chunked is)");
            return;
        }
        String expect = req.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.equalsIgnoreCase("100-continue")) {
            refuse(417, Outcome.BAD_REQUEST, "Expect: " + RequestTarget.shown(expect) + " is not understood");
            return;
        }
        try {
            target = RequestTarget.of(req.method().name(), req.uri(), req.headers().getAll(HttpHeaderNames.HOST),
                    http10, owner.dstAddress(), owner.port());
        } catch (RequestTarget.Refusal r) {
            refuse(r.status(), Outcome.BAD_REQUEST, r.getMessage());
            return;
        }
        rec = new RequestRecord(rec.method(), target.host(), rec.path());
        route = owner.route(target, first);
        Decision d = route.decision();
        rec.route(d.rule() == null ? null : d.ruleName(), d.action().label(), d.upstream());
        if (route.status() != 0) {
            refuse(route.status(), route.status() == 403 ? Outcome.REJECTED : Outcome.BAD_REQUEST, route.reason());
            return;
        }
        if (route.raw()) {
            if (first) {
                cancelTimer();
                state = State.DONE;
                rec = null; // the connection's line says what became of it
                owner.relayRaw(route);
            } else {
                refuse(421, Outcome.REJECTED, target.host() + " is not reached through a proxy in absolute form "
                        + "(rule " + d.ruleName() + "); ask for it on a new connection");
            }
            return;
        }
        if (first) {
            first = false;
            HeadTap tap = ctx.pipeline().get(HeadTap.class);
            if (tap != null) {
                tap.drop(); // requests are read by the decoder from here on: no copy is needed
            }
        }
        forward(req);
    }

    private void forward(HttpRequest req) {
        headRequest = req.method().equals(HttpMethod.HEAD);
        clientKeepAlive = !http10 && HttpUtil.isKeepAlive(req);
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        bodyless = !chunked && HttpUtil.getContentLength(req, 0L) == 0;
        outbound = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), target.absolute(),
                req.headers().copy());
        HopByHop.strip(outbound.headers());
        outbound.headers().set("Host", target.authority());
        if (chunked) {
            outbound.headers().set("Transfer-Encoding", "chunked");
        }
        requestDone = false;
        answerStarted = false;
        informational = false;
        closeAfter = false;
        retried = false;
        state = State.BODY;
        Upstream up = route.upstream();
        if (proxy != null && proxy.isActive() && up.name().equals(proxyUpstream)) {
            reusedProxy = true;
            send();
        } else {
            dial(up);
        }
    }

    private void dial(Upstream up) {
        closeProxy();
        reusedProxy = false;
        boolean firstDial = owner.record().proxy() == null && owner.record().attempts().isEmpty();
        dialing = dialer.forHttp(ctx.channel().eventLoop(), up, up.candidates(), target.host(), target.port(),
                connectMillis, clientAddress, new DialObserver() {
                    @Override
                    public void attempt(String via, String error, long millis) {
                        if (error == null) {
                            rec.proxy(via);
                        }
                        if (firstDial || error == null) {
                            owner.record().attempt(via, error, millis);
                        }
                    }

                    @Override
                    public void scheme(AuthScheme scheme) {
                        owner.record().auth(scheme.label());
                    }

                    @Override
                    public void note(String note) {
                        owner.record().note(note);
                    }
                });
        Future<Channel> mine = dialing;
        mine.addListener(f -> dialed(mine, up));
    }

    private void dialed(Future<Channel> f, Upstream up) {
        if (f != dialing || f.isCancelled()) {
            return;
        }
        dialing = null;
        if (!f.isSuccess()) {
            DialException e = f.cause() instanceof DialException de ? de
                    : new DialException(DialException.Kind.CONNECT, String.valueOf(f.cause()));
            Outcome o = switch (e.kind()) {
                case PROXY -> Outcome.PROXY_ERROR;
                case DENIED -> Outcome.PROXY_DENIED;
                case AUTH -> Outcome.PROXY_AUTH_FAILED;
                case REFUSED -> Outcome.REJECTED;
                case CONNECT, LOCAL -> Outcome.CONNECT_ERROR;
            };
            refuse(e.kind() == DialException.Kind.DENIED ? 403 : HttpAnswers.forUpstreamFailure(e.getMessage()), o,
                    "no proxy of upstream " + up.name() + " carried it: " + e.getMessage());
            return;
        }
        proxy = f.getNow();
        proxyUpstream = up.name();
        proxyAuthorization = Dialer.requestAuthorization(proxy);
        HttpDecoderConfig config = new HttpDecoderConfig().setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024);
        proxy.pipeline().addLast("http-client", new HttpClientCodec(config, false, false));
        proxy.pipeline().addLast("http-answers", new Answers(proxy));
        Channel mine = proxy;
        proxy.closeFuture().addListener(c -> proxyClosed(mine));
        Dialer.handOver(proxy);
        send();
    }

    private void send() {
        if (proxyAuthorization != null) {
            outbound.headers().set("Proxy-Authorization", proxyAuthorization);
        }
        proxy.writeAndFlush(outbound).addListener(w -> {
            if (!w.isSuccess() && state != State.DONE) {
                upstreamBroke("cannot send the request to the proxy: " + w.cause().getMessage());
            }
        });
        arm(idleMillis);
        if (requestDone) {
            proxy.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT); // sent again, on a new connection
        } else {
            read(); // the body, or the LastHttpContent that ends a request without one
        }
    }

    private void body(HttpContent c) {
        if (c.decoderResult().isFailure()) {
            c.release();
            abort(Outcome.BAD_REQUEST, "malformed request body: "
                    + RequestTarget.shown(String.valueOf(c.decoderResult().cause().getMessage())));
            return;
        }
        int n = c.content().readableBytes();
        rec.up(n);
        owner.record().addUp(n, false);
        boolean last = c instanceof LastHttpContent;
        if (proxy == null || !proxy.isActive()) {
            c.release(); // the proxy is gone: its close ends the request
            return;
        }
        proxy.writeAndFlush(c);
        if (last) {
            requestDone = true; // the next request is read when the answer has ended
        } else if (proxy.isWritable()) {
            read();
        }
    }

    // ---- the answer ----

    /** The proxy's side of one connection: its answers go to the client, with backpressure both ways. */
    private final class Answers extends ChannelInboundHandlerAdapter {
        private final Channel mine;

        Answers(Channel mine) {
            this.mine = mine;
        }

        @Override
        public void channelRead(ChannelHandlerContext pctx, Object msg) {
            if (mine != proxy || state == State.DONE || state == State.HEAD) {
                ReferenceCountUtil.release(msg);
                if (mine == proxy && state == State.HEAD) {
                    closeProxy(); // an answer nobody asked for: this connection cannot be trusted
                }
                return;
            }
            lastProgress = System.nanoTime();
            answer((HttpObject) msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext pctx) {
            if (mine == proxy) {
                ctx.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext pctx) {
            if (mine == proxy && state == State.BODY && !requestDone && proxy.isWritable()) {
                read();
            }
            pctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext pctx, Throwable cause) {
            pctx.close(); // its close is handled in proxyClosed
        }
    }

    private void answer(HttpObject msg) {
        if (msg.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            upstreamBroke("the proxy's answer is malformed: "
                    + RequestTarget.shown(String.valueOf(msg.decoderResult().cause().getMessage())));
            return;
        }
        if (msg instanceof io.netty.handler.codec.http.HttpResponse r) {
            int code = r.status().code();
            if (code == 101) {
                upstreamBroke("the proxy switched protocols (101), which the gateway does not carry");
                return;
            }
            if (code == 407 && !answerStarted) {
                closeProxy();
                refuse(502, Outcome.PROXY_AUTH_FAILED, "the proxy asks for authentication (407) on a connection "
                        + "it had accepted; check the upstream's auth");
                return;
            }
            informational = code < 200;
            io.netty.handler.codec.http.HttpResponse out = new io.netty.handler.codec.http.DefaultHttpResponse(
                    http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1, r.status(), r.headers().copy());
            HopByHop.strip(out.headers());
            if (!informational) {
                answerStarted = true;
                rec.status(code);
                boolean empty = headRequest || code == 204 || code == 304;
                boolean chunked = HttpUtil.isTransferEncodingChunked(r);
                boolean delimited = empty || chunked || HttpUtil.isContentLengthSet(r);
                proxyKeepAlive = delimited && HttpUtil.isKeepAlive(r);
                if (http10 && chunked && !empty) {
                    out.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // HTTP/1.0: delimited by the close
                    delimited = false;
                }
                if (!clientKeepAlive || !delimited) {
                    closeAfter = true;
                    out.headers().set("Connection", "close");
                }
            } else if (http10) {
                return; // an HTTP/1.0 client knows no 1xx
            }
            ctx.write(out);
        }
        if (msg instanceof HttpContent c) {
            if (informational) {
                c.release(); // a 1xx has no body; its end only
                if (c instanceof LastHttpContent) {
                    informational = false;
                }
                return;
            }
            int n = c.content().readableBytes();
            rec.down(n);
            owner.record().addDown(n, false);
            ctx.write(c);
            if (!ctx.channel().isWritable()) {
                proxy.config().setAutoRead(false);
            }
            if (c instanceof LastHttpContent) {
                answerDone();
            }
        }
    }

    private void answerDone() {
        ctx.flush();
        owner.record().requested(rec);
        if (!proxyKeepAlive) {
            closeProxy();
        }
        if (closeAfter || !requestDone) {
            // an answer before the whole request (a 413, say) leaves the connection's framing behind: close
            state = State.DONE;
            Closing.afterFlush(ctx.channel());
            return;
        }
        next();
    }

    private void next() {
        state = State.HEAD;
        rec = null;
        arm(idleMillis);
        read();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && proxy != null && proxy.isActive()) {
            proxy.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- endings ----

    private void proxyClosed(Channel ch) {
        if (ch != proxy) {
            return;
        }
        proxy = null;
        if (state == State.DONE || state == State.HEAD) {
            return;
        }
        if (!answerStarted && reusedProxy && bodyless && !retried && rec.bytesUp() == 0) {
            // a kept connection the proxy had closed meanwhile: once more on a new one
            retried = true;
            dial(route.upstream());
            return;
        }
        upstreamBroke(answerStarted ? "the proxy closed the connection in the middle of its answer"
                : "the proxy closed the connection without answering");
    }

    /** The proxy side failed: a 502 if nothing was answered yet, else the client's connection is cut. */
    private void upstreamBroke(String why) {
        closeProxy();
        if (!answerStarted) {
            refuse(502, Outcome.PROXY_ERROR, why);
        } else {
            abort(Outcome.RESET, why);
        }
    }

    /** Answers {@code status} and ends the connection (the owner closes it after the answer). */
    private void refuse(int status, Outcome o, String why) {
        cancelTimer();
        if (rec != null) {
            rec.status(status);
            rec.fail(o, why);
            owner.record().requested(rec);
        }
        owner.record().fail(o, why);
        state = State.DONE;
        closeProxy();
        owner.refuse(status, why);
    }

    /** Ends both connections now: a request or an answer cut in the middle. */
    private void abort(Outcome o, String why) {
        cancelTimer();
        if (rec != null) {
            rec.fail(o, why);
            owner.record().requested(rec);
            rec = null;
        }
        owner.record().fail(o, why);
        state = State.DONE;
        closeProxy();
        Closing.reset(ctx.channel());
    }

    /** The client's connection closed: what was in flight is logged, the proxy connection closed. */
    void clientClosed() {
        if (state != State.DONE && rec != null) {
            rec.fail(Outcome.RESET, "client closed the connection " + (answerStarted ? "during the answer"
                    : "before the answer"));
            owner.record().requested(rec);
            rec = null;
        }
        state = State.DONE;
        cancelTimer();
        if (dialing != null) {
            dialing.cancel(false);
            dialing = null;
        }
        closeProxy();
    }

    private void closeProxy() {
        if (proxy != null) {
            Channel ch = proxy;
            proxy = null;
            ch.close();
        }
    }

    // ---- time ----

    private void arm(long millis) {
        cancelTimer();
        lastProgress = System.nanoTime();
        timer = ctx.executor().schedule(() -> tick(millis), millis, TimeUnit.MILLISECONDS);
    }

    private void tick(long millis) {
        timer = null;
        long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgress);
        if (idle < millis) {
            timer = ctx.executor().schedule(() -> tick(millis), millis - idle, TimeUnit.MILLISECONDS);
            return;
        }
        switch (state) {
            case HEAD -> {
                if (first) {
                    refuse(408, Outcome.HELLO_TIMEOUT, "no complete request head within " + millis + " ms");
                } else {
                    state = State.DONE;
                    ctx.close(); // an idle kept-alive connection: closed quietly
                }
            }
            case BODY -> {
                if (!answerStarted && requestDone) {
                    refuse(504, Outcome.PROXY_ERROR, "no answer from the proxy within " + millis + " ms");
                } else {
                    abort(Outcome.IDLE_TIMEOUT, "nothing moved for " + millis + " ms");
                }
            }
            default -> { }
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
