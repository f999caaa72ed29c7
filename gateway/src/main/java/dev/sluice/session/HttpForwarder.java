package dev.sluice.session;

import dev.sluice.config.Timeouts;
import dev.sluice.inbound.HeadTap;
import dev.sluice.inbound.RequestTarget;
import dev.sluice.policy.Decision;
import dev.sluice.relay.Closing;
import dev.sluice.upstream.DialException;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.Upstream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;

/**
 * Carries the plain HTTP requests of one client connection (a listener with {@code peek: http}), one at a time
 * and in order: reads a request head (Netty's {@link dev.sluice.inbound.StrictRequestDecoder}; a
 * {@code FlowControlHandler} before this hands over one message per read), checks it ({@link RequestHeads}),
 * routes it by its target through the connection ({@link HttpRouting}), and, for {@code splice} with
 * {@code http: absolute}, sends it to a proxy of the upstream in absolute form ({@link HttpProxyLink}) with the
 * body streamed as it comes (reading the client only while the proxy takes more), then streams the proxy's answer
 * back the same way ({@link AnswerHeads}). The next request is read only when the answer has ended, so pipelined
 * requests are answered in order. Keep-alive on both sides.
 *
 * <p>The first request decides what the connection is: when its route is {@code direct}, or {@code splice}
 * through an upstream with {@code http: connect}, the connection's bytes are relayed as they are
 * ({@link HttpRouting#relayRaw}). A later request that routes there gets {@code 421}; one its rule rejects gets
 * {@code 403}; both close the connection, as every refusal does.
 */
final class HttpForwarder extends OneByOne implements HttpProxyLink.Events, AnswerRelay.Ending {
    static final String NAME = "http-forwarder";

    /** HEAD: waiting for a request head; BODY: a request and its answer in flight; DONE: refused or handed over. */
    private enum State { HEAD, BODY, DONE }

    private final HttpRouting routing;
    private final Dialer dialer;
    private final InetAddress clientAddress;
    private final Timeouts timeouts;
    private ChannelHandlerContext ctx;
    private HttpProxyLink proxy;
    private State state = State.HEAD;
    private boolean first = true;
    private boolean draining;
    private IdleTimer timer;
    // the request in flight
    private RequestRecord rec;
    private HttpRequest outbound;
    private RequestTarget target;
    private HttpRouting.Route route;
    private boolean http10;
    private AnswerRelay answer;
    private boolean requestDone;
    private boolean bodyless;
    private boolean reusedProxy;
    private boolean retried;

    /** {@code timeouts}: {@code client_hello} for the first head, {@code connect}, {@code idle} for the rest. */
    HttpForwarder(HttpRouting routing, Dialer dialer, InetAddress clientAddress, Timeouts timeouts) {
        this.routing = routing;
        this.dialer = dialer;
        this.clientAddress = clientAddress;
        this.timeouts = timeouts;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        timer = new IdleTimer(ctx.executor(), this::idle);
        proxy = new HttpProxyLink(dialer, ctx.channel().eventLoop(), timeouts.connect().toMillis(), clientAddress,
                routing.record(), this);
        timer.arm(timeouts.clientHello().toMillis());
        super.handlerAdded(ctx);
    }

    @Override
    protected void message(Object msg) {
        timer.touch();
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

    @Override
    protected boolean reading() {
        return state != State.DONE;
    }

    /**
     * The client's FIN: between requests it ends the connection; during one, the request's end decides (a cut body
     * is the decoder's error), and the connection ends after the answer.
     */
    @Override
    protected void ended() {
        endIfNoMore();
    }

    // ---- the request ----

    private void head(HttpRequest req) {
        http10 = req.protocolVersion().minorVersion() == 0;
        route = routing.route(req, first);
        target = route.target();
        rec = RequestRecord.of(req, target == null ? null : target.host());
        Decision d = route.decision();
        if (d != null) {
            rec.route(d);
        }
        if (route.status() != 0) {
            refuse(route.status(), route.outcome(), route.reason());
            return;
        }
        if (route.raw()) {
            if (first) {
                timer.cancel();
                state = State.DONE;
                rec = null; // the connection's line says what became of it
                routing.relayRaw(route);
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
        answer = new AnswerRelay(ctx, proxy, routing.record(), rec, http10, req.method().equals(HttpMethod.HEAD),
                !http10 && HttpUtil.isKeepAlive(req), this);
        bodyless = !HttpUtil.isTransferEncodingChunked(req) && HttpUtil.getContentLength(req, 0L) == 0;
        outbound = RequestHeads.absoluteForm(req, target);
        requestDone = false;
        retried = false;
        state = State.BODY;
        Upstream up = route.upstream();
        reusedProxy = proxy.openTo(up);
        if (reusedProxy) {
            rec.proxy(proxy.via());
            send();
        } else {
            proxy.dial(up, target, rec);
        }
    }

    @Override
    public void ready(Upstream up) {
        if (state == State.BODY) {
            send();
        }
    }

    @Override
    public void failed(Upstream up, DialException e) {
        if (state != State.BODY) {
            return;
        }
        refuse(e.kind() == DialException.Kind.DENIED ? 403 : HttpAnswers.forUpstreamFailure(e.getMessage()),
                Outcome.of(e.kind()),
                "no proxy of upstream " + up.name() + " carried it: " + e.getMessage());
    }

    private void send() {
        proxy.send(outbound).addListener(w -> {
            if (!w.isSuccess() && state == State.BODY) {
                upstreamBroke("cannot send the request to the proxy: " + w.cause().getMessage());
            }
        });
        timer.arm(timeouts.idle().toMillis());
        if (requestDone) {
            proxy.write(LastHttpContent.EMPTY_LAST_CONTENT); // sent again, on a new connection
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
        routing.record().addUp(n, false);
        boolean last = c instanceof LastHttpContent;
        if (!proxy.write(c)) {
            return; // the proxy is gone: its close ends the request
        }
        if (last) {
            requestDone = true; // the next request is read when the answer has ended
        } else if (proxy.isWritable()) {
            read();
        }
    }

    @Override
    public void writable() {
        if (state == State.BODY && !requestDone) {
            read();
        }
    }

    // ---- the answer ----

    @Override
    public void answer(HttpObject msg) {
        timer.touch();
        if (state != State.BODY) {
            ReferenceCountUtil.release(msg);
            proxy.close(); // an answer nobody asked for: this connection cannot be trusted
            return;
        }
        answer.piece(msg);
    }

    @Override
    public void readComplete() {
        ctx.flush();
    }

    @Override
    public void answered(boolean closeClient, boolean keepProxy) {
        routing.record().requested(rec);
        if (!keepProxy) {
            proxy.close();
        }
        if (closeClient || !requestDone || draining) {
            // an answer before the whole request (a 413, say) leaves the connection's framing behind: close
            state = State.DONE;
            Closing.afterFlush(ctx.channel());
            return;
        }
        state = State.HEAD;
        rec = null;
        timer.arm(timeouts.idle().toMillis());
        read(); // a request already read is handed over at once
        endIfNoMore();
    }

    /** The gateway is draining: a connection waiting for a request ends now, one in flight after its answer. */
    void draining() {
        draining = true;
        if (state == State.HEAD) {
            endQuietly();
        }
    }

    /** After the client's FIN, waiting for a request that was not already read: none can come. */
    private void endIfNoMore() {
        if (inputShutdown() && state == State.HEAD && waiting()) {
            endQuietly();
        }
    }

    /** Between requests: the connection ends with nothing to say, its outcome ok. */
    private void endQuietly() {
        timer.cancel();
        state = State.DONE;
        Closing.afterFlush(ctx.channel());
    }

    @Override
    public void broke(String why) {
        upstreamBroke(why);
    }

    @Override
    public void authLost() {
        proxy.close();
        refuse(502, Outcome.PROXY_AUTH_FAILED, "the proxy asks for authentication (407) on a connection it had "
                + "accepted; check the upstream's auth");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            proxy.pause(false);
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- endings ----

    @Override
    public void closed() {
        if (state != State.BODY) {
            return;
        }
        if (!answer.started() && reusedProxy && bodyless && !retried) {
            // a kept connection the proxy had closed meanwhile: once more on a new one
            retried = true;
            reusedProxy = false;
            proxy.dial(route.upstream(), target, rec);
            return;
        }
        upstreamBroke(answer.started() ? "the proxy closed the connection in the middle of its answer"
                : "the proxy closed the connection without answering");
    }

    /** The proxy side failed: a 502 if nothing was answered yet, else the client's connection is cut. */
    private void upstreamBroke(String why) {
        proxy.close();
        if (!answer.started()) {
            refuse(502, Outcome.PROXY_ERROR, why);
        } else {
            abort(Outcome.RESET, why);
        }
    }

    /** Answers {@code status} and ends the connection (the routing closes it after the answer). */
    private void refuse(int status, Outcome o, String why) {
        if (rec != null) {
            rec.status(status);
        }
        end(o, why);
        routing.refuse(status, why);
    }

    /** Ends both connections now: a request or an answer cut in the middle. */
    private void abort(Outcome o, String why) {
        end(o, why);
        Closing.reset(ctx.channel());
    }

    /** The request in flight (if any) and the connection end with {@code o}; the proxy connection closes. */
    private void end(Outcome o, String why) {
        timer.cancel();
        if (rec != null) {
            rec.fail(o, why);
            routing.record().requested(rec);
            rec = null;
        }
        routing.record().fail(o, why);
        state = State.DONE;
        proxy.close();
    }

    /** The client's connection closed: what was in flight is logged, the proxy connection closed. */
    void clientClosed() {
        if (state != State.DONE && rec != null) {
            rec.fail(Outcome.RESET, "client closed the connection " + (answer != null && answer.started()
                    ? "during the answer" : "before the answer"));
            routing.record().requested(rec);
            rec = null;
        }
        state = State.DONE;
        timer.cancel();
        if (proxy != null) {
            proxy.close();
        }
    }

    /** Nothing moved for {@code millis}: what that means depends on the state. */
    private void idle(long millis) {
        if (state == State.HEAD && first) {
            refuse(408, Outcome.HELLO_TIMEOUT, "no complete request head within " + millis + " ms");
        } else if (state == State.HEAD) {
            endQuietly(); // an idle kept-alive connection
        } else if (state == State.BODY && !answer.started() && requestDone) {
            refuse(504, Outcome.PROXY_ERROR, "no answer from the proxy within " + millis + " ms");
        } else if (state == State.BODY) {
            abort(Outcome.IDLE_TIMEOUT, "nothing moved for " + millis + " ms");
        }
    }
}
