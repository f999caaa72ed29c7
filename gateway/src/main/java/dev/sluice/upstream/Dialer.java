package dev.sluice.upstream;

import dev.sluice.config.IpLiteral;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Opens the upstream leg of a tunnel on the client's event loop. For splice: TCP to each proxy of the upstream in
 * order and {@code CONNECT host:port} by name, until one answers 200 (a 403 is the proxy's policy, final, not a
 * fault). For direct: the destination itself. Proxy and destination names are resolved asynchronously; the
 * CONNECT target is never resolved here: the proxy does that.
 */
public final class Dialer {
    /** Name of the CONNECT handler in the upstream leg's pipeline. */
    public static final String PROXY = "proxy";
    /** Name of the TLS handler (to an https:// proxy) in the upstream leg's pipeline. */
    public static final String TLS = "proxy-tls";
    /** Name of the handler after the CONNECT handler: holds tunnel bytes until {@link #handOver}. */
    public static final String HOLD = "proxy-hold";
    private final ChannelFactory<? extends Channel> channels;
    private final AddressResolverGroup<InetSocketAddress> resolvers;
    private final WriteBufferWaterMark waterMark;
    private final ProxyEvents events;

    public Dialer(ChannelFactory<? extends Channel> channels, AddressResolverGroup<InetSocketAddress> resolvers,
                  WriteBufferWaterMark waterMark) {
        this(channels, resolvers, waterMark, ProxyEvents.NONE);
    }

    public Dialer(ChannelFactory<? extends Channel> channels, AddressResolverGroup<InetSocketAddress> resolvers,
                  WriteBufferWaterMark waterMark, ProxyEvents events) {
        this.channels = channels;
        this.resolvers = resolvers;
        this.waterMark = waterMark;
        this.events = events;
    }

    /**
     * A tunnel through {@code upstream} to {@code host:port}, trying {@code candidates} in order within the
     * upstream's retry budget (attempts already counted in the candidates, and the deadline). Cancel the future to
     * abandon it.
     */
    public Future<Channel> splice(EventLoop loop, Upstream upstream, Upstream.Candidates candidates, String host,
                                  int port, long timeoutMillis, InetAddress client, DialObserver observer) {
        Promise<Channel> result = loop.newPromise();
        HttpHeaders headers = null;
        if (upstream.forwardedFor() && client != null) {
            String ip = client.getHostAddress();
            headers = new DefaultHttpHeaders()
                    .add("X-Forwarded-For", ip)
                    .add("Forwarded", "for=" + (ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip));
        }
        ProxyAuth auth = client == null ? upstream.auth() : upstream.authFor(client);
        long deadline = System.nanoTime() + upstream.policy().deadline().toNanos();
        new SpliceAttempts(loop, upstream, candidates.order(), auth, host, port, timeoutMillis, deadline, headers,
                observer, result).start();
        return result;
    }

    /**
     * A plain TCP connection to {@code host:port} made by the gateway itself. {@code refusal} sees the resolved
     * address first and says why it must not be dialled (the gateway's own services), or null: the attempt then
     * fails with {@link DialException.Kind#REFUSED} and no connection is made.
     */
    public Future<Channel> direct(EventLoop loop, String host, int port, long timeoutMillis, DialObserver observer,
                                  Function<InetSocketAddress, String> refusal) {
        Promise<Channel> result = loop.newPromise();
        long start = System.nanoTime();
        resolve(loop, host, port).addListener(rf -> {
            if (result.isDone()) {
                return;
            }
            if (!rf.isSuccess()) {
                String why = "cannot resolve " + host + ": " + Errors.describe(rf.cause());
                observer.attempt(host + ":" + port, why, Errors.millisSince(start));
                result.tryFailure(new DialException(DialException.Kind.CONNECT, why));
                return;
            }
            InetSocketAddress address = (InetSocketAddress) rf.getNow();
            String via = address.getAddress().getHostAddress() + ":" + port;
            String local = refusal.apply(address);
            if (local != null) {
                String refused = "refused: " + via + " " + local;
                observer.attempt(via, refused, Errors.millisSince(start));
                result.tryFailure(new DialException(DialException.Kind.REFUSED, refused));
                return;
            }
            ChannelFuture cf = bootstrap(loop, timeoutMillis).handler(new ChannelInboundHandlerAdapter())
                    .connect(address);
            result.addListener(f -> {
                if (f.isCancelled()) {
                    cf.channel().close();
                }
            });
            cf.addListener(f -> onLoop(loop, () -> {
                if (f.isSuccess()) {
                    observer.attempt(via, null, Errors.millisSince(start));
                    if (!result.trySuccess(cf.channel())) {
                        cf.channel().close();
                    }
                } else {
                    String why = Errors.describe(f.cause());
                    observer.attempt(via, why, Errors.millisSince(start));
                    result.tryFailure(new DialException(DialException.Kind.CONNECT, why));
                }
            }));
        });
        return result;
    }

    /**
     * Drops the exception a failed CONNECT fires down the pipeline (it is reported through the connect future);
     * once the tunnel is up, exceptions pass on to the relay. Holds what the proxy sent after its answer (the
     * first tunnel bytes may come in the same segment as the 200, and the HTTP decoder hands them on before the
     * connect future completes, when no relay is there yet to take them) until {@link #handOver}.
     */
    private static final class SettledFailures extends ChannelInboundHandlerAdapter {
        private final HttpProxyHandler handler;
        private List<Object> held; // ByteBufs and the end of input, in order

        SettledFailures(HttpProxyHandler handler) {
            this.handler = handler;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // the CONNECT handler consumes its answer: whatever comes here is the tunnel's, and the relay is not here
            hold(msg);
        }

        private void hold(Object msg) {
            if (held == null) {
                held = new ArrayList<>(2);
            }
            held.add(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (handler.connectFuture().isSuccess()) {
                ctx.fireExceptionCaught(cause);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (!handler.connectFuture().isDone()) {
                    ctx.close(); // the proxy hung up before answering: fail now, not at the timeout
                    return;
                }
                if (held != null) {
                    hold(evt); // after the bytes it follows
                    return;
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (held != null) {
                held.forEach(ReferenceCountUtil::release); // the leg died before the relay took it
                held = null;
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            List<Object> h = held;
            held = null;
            if (h != null) {
                for (Object m : h) {
                    if (m instanceof ChannelInputShutdownEvent) {
                        ctx.fireUserEventTriggered(m);
                    } else {
                        ctx.fireChannelRead(m);
                    }
                }
                ctx.fireChannelReadComplete();
            }
        }
    }

    /**
     * Gives the tunnel bytes that arrived with the proxy's answer (held until now) to the handlers after the
     * CONNECT handler: call once the relay is in the upstream leg's pipeline.
     */
    public static void handOver(Channel upstream) {
        if (upstream.pipeline().get(HOLD) != null) {
            upstream.pipeline().remove(HOLD);
        }
    }

    /** Listeners of a channel that could not even be created run on a global executor: come back to the loop. */
    private static void onLoop(EventLoop loop, Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }

    private Bootstrap bootstrap(EventLoop loop, long timeoutMillis) {
        return new Bootstrap()
                .group(loop)
                .channelFactory(channels)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .disableResolver();
    }

    private Future<InetSocketAddress> resolve(EventLoop loop, String host, int port) {
        InetAddress literal = IpLiteral.parse(host);
        if (literal != null) {
            return loop.newSucceededFuture(new InetSocketAddress(literal, port));
        }
        return resolvers.getResolver(loop).resolve(InetSocketAddress.createUnresolved(host, port));
    }

    /** The tries at one upstream's proxies, in order, for one tunnel. */
    private final class SpliceAttempts {
        private final EventLoop loop;
        private final Upstream upstream;
        private final List<Proxy> order;
        private final long deadline;
        private final ProxyAuth auth;
        private final String host;
        private final int port;
        private final long timeoutMillis;
        private final HttpHeaders headers;
        private final DialObserver observer;
        private final Promise<Channel> result;
        private int index;
        private int racing;

        SpliceAttempts(EventLoop loop, Upstream upstream, List<Proxy> order, ProxyAuth auth, String host, int port,
                       long timeoutMillis, long deadline, HttpHeaders headers, DialObserver observer,
                       Promise<Channel> result) {
            this.loop = loop;
            this.upstream = upstream;
            this.order = order;
            this.deadline = deadline;
            this.auth = auth;
            this.host = host;
            this.port = port;
            this.timeoutMillis = timeoutMillis;
            this.headers = headers;
            this.observer = observer;
            this.result = result;
        }

        /**
         * With {@code fastest_of: N}, the first N candidates are raced (the first 200 wins, the others are closed);
         * if all of them fail, the rest are tried one by one. Otherwise one by one from the start.
         */
        void start() {
            int n = Math.min(upstream.policy().fastestOf(), order.size());
            if (n < 2) {
                next(null);
                return;
            }
            racing = n;
            for (int i = 0; i < n; i++) {
                attempt(order.get(index++));
            }
        }

        void next(DialException last) {
            if (result.isDone()) {
                return; // abandoned: the client went away
            }
            if (index >= order.size()) {
                result.tryFailure(last != null ? last
                        : new DialException(DialException.Kind.CONNECT, "upstream has no proxies"));
                return;
            }
            if (index > 0 && System.nanoTime() - deadline > 0) {
                result.tryFailure(new DialException(last.kind(), last.getMessage() + " (retry deadline of "
                        + upstream.policy().deadline().toMillis() + " ms reached after " + index + " attempts)"));
                return;
            }
            attempt(order.get(index++));
        }

        private void attempt(Proxy proxy) {
            long start = System.nanoTime();
            resolve(loop, proxy.url().host(), proxy.url().port()).addListener(rf -> {
                if (!rf.isSuccess()) {
                    failed(proxy, start, DialException.Kind.CONNECT,
                            "cannot resolve proxy " + proxy.url().host() + ": " + Errors.describe(rf.cause()), true);
                } else {
                    connect(proxy, (InetSocketAddress) rf.getNow(), start);
                }
            });
        }

        private void connect(Proxy proxy, InetSocketAddress address, long start) {
            if (result.isDone()) {
                return;
            }
            HttpProxyHandler handler = auth == null ? new HttpProxyHandler(address, headers)
                    : new HttpProxyHandler(address, auth.username(), auth.password(), headers);
            handler.setConnectTimeoutMillis(timeoutMillis);
            SslContext tls = proxy.url().tls() ? upstream.tls() : null;
            boolean[] settled = new boolean[1];
            ChannelFuture tcp = bootstrap(loop, timeoutMillis).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    if (tls != null) {
                        // TLS to the proxy first; CONNECT runs inside it, the client's own TLS inside the tunnel
                        SslHandler ssl = tls.newHandler(ch.alloc(), proxy.url().host(), proxy.url().port());
                        ssl.setHandshakeTimeoutMillis(timeoutMillis);
                        ch.pipeline().addLast(TLS, ssl);
                    }
                    ch.pipeline().addLast(PROXY, handler).addLast(HOLD, new SettledFailures(handler));
                }
            }).connect(InetSocketAddress.createUnresolved(host, port));
            result.addListener(f -> {
                if (f.isCancelled() || (f.isSuccess() && f.getNow() != tcp.channel())) {
                    tcp.channel().close(); // the client went away, or another proxy won the race
                }
            });
            tcp.addListener(f -> onLoop(loop, () -> {
                if (!f.isSuccess() && !settled[0]) {
                    settled[0] = true;
                    failed(proxy, start, DialException.Kind.CONNECT, Errors.describe(f.cause()), true);
                }
            }));
            handler.connectFuture().addListener(f -> {
                if (settled[0]) {
                    return;
                }
                settled[0] = true;
                if (f.isSuccess()) {
                    long millis = Errors.millisSince(start);
                    proxy.succeeded(millis);
                    events.connected(upstream, proxy, millis);
                    if (result.trySuccess(tcp.channel())) {
                        observer.attempt(proxy.label(), null, millis);
                    } else {
                        tcp.channel().close(); // closed cleanly: another proxy answered first
                        if (!result.isCancelled()) {
                            observer.attempt(proxy.label(), "answered after another proxy; closed", millis);
                        }
                    }
                } else {
                    tcp.channel().close();
                    String tlsFailure = Errors.tlsFailure(f.cause());
                    if (tlsFailure != null) {
                        failed(proxy, start, DialException.Kind.CONNECT, tlsFailure, true);
                        return;
                    }
                    String why = Errors.describeProxy(f.cause(), timeoutMillis);
                    boolean denied = why.startsWith("403");
                    failed(proxy, start, denied ? DialException.Kind.DENIED : DialException.Kind.PROXY, why, !denied);
                }
            });
        }

        private void failed(Proxy proxy, long start, DialException.Kind kind, String why, boolean retry) {
            if (result.isDone()) {
                return; // closed by us: another proxy won the race, or the client went away
            }
            if (retry) {
                proxy.failed(why); // a 403 (no retry) is the proxy's policy, not a fault
            }
            events.failed(upstream, proxy);
            observer.attempt(proxy.label(), why, Errors.millisSince(start));
            DialException e = new DialException(kind, proxy.label() + ": " + why);
            if (!retry) {
                result.tryFailure(e);
            } else if (racing > 0) {
                if (--racing == 0) {
                    next(e); // every raced proxy failed: on with the rest, one by one
                }
            } else {
                next(e);
            }
        }
    }
}
