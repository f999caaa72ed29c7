package dev.sluice.upstream;

import dev.sluice.upstream.auth.AuthException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Our side of the CONNECT exchange on one connection to a proxy: sends CONNECT, reads the answer (skipping 1xx),
 * and on a {@code 407} reads every challenge and drains the body, then sends the next leg as {@link AuthSession}
 * says, on this connection or (when the proxy closes after its 407) by asking for a new one. A {@code 2xx} ends it:
 * the handler leaves the pipeline and a {@link TunnelHold} keeps what came after the answer. Each wait (for a
 * token, for an answer) is bounded by the connect timeout. Tells its {@link Listener} exactly once.
 *
 * <p>For a connection that will carry plain HTTP: with a {@linkplain ConnectRequest#probe probe} as the request,
 * any final answer but 407 ends the exchange (the answer to HEAD has no body); with no request at all (no auth
 * configured) the connection is ready as soon as it is up (and its TLS, to an {@code https://} proxy).
 */
final class ConnectHandshake extends ChannelDuplexHandler {
    static final String NAME = "connect";

    /** Told once, on the event loop, how this connection's exchange ended. */
    interface Listener {
        /**
         * The proxy answered 2xx: the channel is a tunnel (with a {@link TunnelHold} in place of this); {@code note}
         * says something odd about the answer, or is null.
         */
        void established(Channel channel, String note);

        void failed(AttemptFailure failure);

        /** The proxy closed after a 407: go on, on a new connection, with this header. */
        void reconnect(CompletableFuture<String> header);
    }

    private enum State { TOKEN, ANSWER, DRAIN, DONE }

    private final ConnectRequest request;
    private final AuthSession auth;
    private final long timeoutMillis;
    private final CompletableFuture<String> firstHeader;
    private final Listener listener;
    private final ProxyResponseReader reader = new ProxyResponseReader();
    private ChannelHandlerContext ctx;
    private ByteBuf buffer;
    private State state = State.TOKEN;
    private boolean started;
    private ScheduledFuture<?> timer;
    private BodyDrain drain;
    private List<Challenge> offered; // of the last 407
    private boolean after407; // the leg in flight answers a 407
    private CompletableFuture<String> pendingHeader; // the header awaited in state TOKEN

    ConnectHandshake(ConnectRequest request, AuthSession auth, long timeoutMillis, CompletableFuture<String> first,
                     Listener listener) {
        this.request = request;
        this.auth = auth;
        this.timeoutMillis = timeoutMillis;
        this.firstHeader = first;
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            begin();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin();
        ctx.fireChannelActive();
    }

    private void begin() {
        if (!started) {
            started = true;
            if (request == null) {
                if (ctx.pipeline().get(ProxyAttempt.TLS) == null) {
                    established(null); // else when TLS is up
                }
                return;
            }
            awaitHeader(firstHeader);
        }
    }

    /** Sends the next leg once its Proxy-Authorization value is there (a Kerberos token may take a moment). */
    private void awaitHeader(CompletableFuture<String> header) {
        state = State.TOKEN;
        pendingHeader = header;
        if (header.isDone()) {
            headerReady(header);
            return;
        }
        arm("no " + (auth.scheme() == null ? "" : auth.scheme().httpName() + " ") + "token within " + timeoutMillis
                + " ms (is the KDC slow or unreachable?)", true);
        header.whenComplete((v, e) -> ctx.executor().execute(() -> headerReady(header)));
    }

    private void headerReady(CompletableFuture<String> header) {
        if (state != State.TOKEN || header != pendingHeader) {
            return; // settled meanwhile (timeout, close), or given up for another
        }
        pendingHeader = null;
        cancelTimer();
        String value;
        try {
            value = header.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            AuthException ae = cause instanceof AuthException a ? a
                    : new AuthException(auth.scheme() + " token: " + cause.getMessage());
            act(auth.tokenFailed(ae, offered), true);
            return;
        }
        ByteBuf bytes = request.encode(ctx.alloc(), value);
        auth.sent();
        reader.reset();
        state = State.ANSWER;
        arm("no answer to " + request.method() + " within " + timeoutMillis + " ms", false);
        ctx.writeAndFlush(bytes).addListener(f -> {
            if (!f.isSuccess()) {
                fail(AttemptFailure.broken("cannot send " + request.method() + ": " + IoErrors.describe(f.cause())));
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.DONE) {
            ReferenceCountUtil.release(msg); // failed and closing (once established, this handler is gone)
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        buffer = buffer == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffer, in);
        try {
            process();
        } catch (BadAnswer e) {
            fail(AttemptFailure.broken(e.getMessage()));
        }
        if (buffer != null && !buffer.isReadable()) {
            buffer.release(); // all consumed (a 407 and its body): the next answer starts afresh
            buffer = null;
        }
    }

    private void process() throws BadAnswer {
        if (state == State.ANSWER) {
            ProxyResponse r = reader.read(buffer);
            if (r != null) {
                answered(r);
            }
        } else if (state == State.DRAIN) {
            if (drain.skip(buffer)) {
                drained();
            }
        } else if (state == State.TOKEN && buffer.isReadable()) {
            throw new BadAnswer("proxy sent " + buffer.readableBytes() + " bytes when no answer was due");
        }
    }

    private void answered(ProxyResponse r) throws BadAnswer {
        if (request.probe() && r.status() != 407) {
            // the answer to HEAD: a head alone, whatever length it names; the connection is ours now
            if (!r.keepAlive()) {
                fail(AttemptFailure.broken("proxy closed the connection after its " + r.status()
                        + " to our HEAD probe"));
                return;
            }
            cancelTimer();
            if (buffer.isReadable()) {
                throw new BadAnswer("proxy sent " + buffer.readableBytes() + " bytes after its answer to HEAD");
            }
            established(null);
        } else if (r.isSuccess()) {
            established(r.chunked() || r.contentLength() > 0 ? "proxy's " + r.status() + " claimed a body ("
                    + (r.chunked() ? "chunked" : r.contentLength() + " bytes") + "); as RFC 9110 says for CONNECT, what "
                    + "follows its head went to the client as tunnel bytes" : null);
        } else if (r.status() == 407) {
            offered = Challenge.parse(r.authenticate());
            if (request.probe() && r.keepAlive()) {
                drained(); // the answer to HEAD: no body, whatever length it names
            } else if (r.keepAlive() && r.bodyDelimited()) {
                drain = new BodyDrain(r);
                state = State.DRAIN;
                if (drain.skip(buffer)) {
                    drained();
                }
            } else {
                next(false); // the proxy closes after this answer
            }
        } else {
            fail(AttemptFailure.answered(r));
        }
    }

    private void drained() throws BadAnswer {
        cancelTimer();
        if (buffer.isReadable()) {
            throw new BadAnswer("proxy sent " + buffer.readableBytes() + " bytes after its 407");
        }
        next(true);
    }

    /** After a 407: the next leg, here or on a new connection, or the end. */
    private void next(boolean open) {
        act(auth.after407(offered, open), open);
    }

    private void act(AuthSession.Step step, boolean open) {
        if (step instanceof AuthSession.Fail f) {
            fail(f.kind() == DialException.Kind.AUTH ? AttemptFailure.auth(f.why(), f.scheme())
                    : AttemptFailure.protocol(f.why()));
            return;
        }
        AuthSession.Send send = (AuthSession.Send) step;
        if (send.newConnection() || !open) {
            reconnect(send.header());
        } else {
            after407 = offered != null;
            awaitHeader(send.header());
        }
    }

    private void reconnect(CompletableFuture<String> header) {
        if (!auth.mayReconnect()) {
            fail(AttemptFailure.protocol("proxy closed the connection after a 407 again"));
            return;
        }
        settle();
        listener.reconnect(header);
        ctx.close();
    }

    private void established(String note) {
        settle();
        auth.established();
        ByteBuf rest = buffer;
        buffer = null;
        ctx.pipeline().replace(this, TunnelHold.NAME, new TunnelHold(rest));
        listener.established(ctx.channel(), note);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent tls && tls.isSuccess() && request == null
                && state != State.DONE) {
            established(null); // nothing to send: the connection is ready
            return;
        }
        if (evt instanceof SslHandshakeCompletionEvent tls && !tls.isSuccess() && state != State.DONE) {
            String why = IoErrors.tlsFailure(tls.cause());
            fail(AttemptFailure.tls(why != null ? why : "TLS with the proxy failed: " + IoErrors.describe(tls.cause())));
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent && state != State.DONE) {
            closed(null);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state != State.DONE) {
            closed(null);
        }
        ctx.fireChannelInactive();
    }

    /** The proxy hung up (FIN, or {@code reset}) before the exchange ended. */
    private void closed(String reset) {
        boolean nothingYet = (buffer == null || !buffer.isReadable()) && reader.idle();
        if (state == State.DRAIN) {
            next(false); // a 407 whose body ran to the close
        } else if (after407 && nothingYet && (state == State.TOKEN || state == State.ANSWER)) {
            // it closed after its 407 although it said it would not (a plain FIN): start the leg over, elsewhere
            AuthSession.Step step = auth.restart();
            if (step instanceof AuthSession.Send s) {
                reconnect(s.header());
            } else {
                act(step, false);
            }
        } else if (reset != null) {
            fail(AttemptFailure.broken("proxy: " + reset));
        } else if (nothingYet) {
            fail(AttemptFailure.broken(request == null ? "proxy closed the connection before it was ready"
                    : "proxy closed the connection without answering " + request.method()));
        } else {
            fail(AttemptFailure.broken("proxy closed the connection in the middle of its answer"));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.DONE) {
            return; // failed already (once established, this handler is gone)
        }
        String tls = IoErrors.tlsFailure(cause);
        if (tls != null) {
            fail(AttemptFailure.tls(tls));
        } else if (cause instanceof IOException) {
            closed(IoErrors.describe(cause)); // a reset: after a 407 it is a close like any other
        } else {
            fail(AttemptFailure.broken("proxy: " + IoErrors.describe(cause)));
        }
    }

    private void arm(String why, boolean token) {
        cancelTimer();
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (token && state == State.TOKEN) {
                // a token that does not come is a Kerberos failure like any other: NTLM may take over
                CompletableFuture<String> late = pendingHeader;
                pendingHeader = null;
                late.cancel(false);
                act(auth.tokenFailed(new AuthException("kerberos: " + why), offered), true);
            } else {
                fail(AttemptFailure.broken(why));
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void fail(AttemptFailure f) {
        if (state == State.DONE) {
            return;
        }
        settle();
        listener.failed(f.during(auth.scheme()));
        ctx.close();
    }

    private void settle() {
        state = State.DONE;
        cancelTimer();
        if (pendingHeader != null) {
            pendingHeader.cancel(false); // a token still being made: nobody needs it now
            pendingHeader = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }
}
