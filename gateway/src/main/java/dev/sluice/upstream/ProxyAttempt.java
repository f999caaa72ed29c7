package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * One try at one proxy for one tunnel: the proxy's name resolved, TCP (and TLS to an {@code https://} proxy),
 * then the CONNECT exchange ({@link ConnectHandshake}); a proxy that closes after a 407 gets one more connection.
 * A Kerberos token for the first leg is made while TCP connects. Reports once, on the event loop.
 */
final class ProxyAttempt implements ConnectHandshake.Listener {
    /** Told once how the attempt ended: {@code tunnel} on success, else {@code failure}. */
    interface Done {
        void done(ProxyAttempt attempt, Channel tunnel, AttemptFailure failure, long millis);
    }

    private String note;

    static final String TLS = "proxy-tls";

    private final Sockets sockets;
    private final EventLoop loop;
    private final Proxy proxy;
    private final SslContext tls;
    private final ConnectRequest request;
    private final AuthSession auth;
    private final long timeoutMillis;
    private final Done done;
    private final long start = System.nanoTime();
    private InetSocketAddress address;
    private Channel channel;
    private boolean finished;

    ProxyAttempt(Sockets sockets, EventLoop loop, Proxy proxy, SslContext tls, ConnectRequest request,
                 AuthSession auth, long timeoutMillis, Done done) {
        this.sockets = sockets;
        this.loop = loop;
        this.proxy = proxy;
        this.tls = proxy.url().tls() ? tls : null;
        this.request = request;
        this.auth = auth;
        this.timeoutMillis = timeoutMillis;
        this.done = done;
    }

    Proxy proxy() {
        return proxy;
    }

    AuthScheme scheme() {
        return auth.scheme();
    }

    void start() {
        CompletableFuture<String> first = auth.first();
        sockets.resolve(loop, proxy.url().host(), proxy.url().port()).addListener(rf -> {
            if (finished) {
                return;
            }
            if (!rf.isSuccess()) {
                String local = IoErrors.localFailure(rf.cause());
                finish(null, local != null ? AttemptFailure.local(local) : AttemptFailure.unreachable(
                        "cannot resolve proxy " + proxy.url().host() + ": " + IoErrors.describe(rf.cause())));
                return;
            }
            address = (InetSocketAddress) rf.getNow();
            connect(first);
        });
    }

    private void connect(CompletableFuture<String> header) {
        ConnectHandshake handshake = new ConnectHandshake(request, auth, timeoutMillis, header, this);
        ChannelFuture cf = sockets.bootstrap(loop, timeoutMillis).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tls != null) {
                    // TLS to the proxy first; CONNECT runs inside it, the client's own TLS inside the tunnel
                    SslHandler ssl = tls.newHandler(ch.alloc(), proxy.url().host(), proxy.url().port());
                    ssl.setHandshakeTimeoutMillis(timeoutMillis);
                    ch.pipeline().addLast(TLS, ssl);
                }
                ch.pipeline().addLast(ConnectHandshake.NAME, handshake);
            }
        }).connect(address);
        channel = cf.channel();
        cf.addListener(f -> Sockets.onLoop(loop, () -> {
            if (!f.isSuccess()) {
                String local = IoErrors.localFailure(f.cause());
                finish(null, local != null ? AttemptFailure.local(local)
                        : AttemptFailure.unreachable(IoErrors.describe(f.cause())));
            }
        }));
    }

    @Override
    public void established(Channel tunnel, String note) {
        this.note = note;
        finish(tunnel, null);
    }

    /** Something odd about the proxy's 200 (a body), or null. */
    String note() {
        return note;
    }

    @Override
    public void failed(AttemptFailure failure) {
        finish(null, failure);
    }

    @Override
    public void reconnect(CompletableFuture<String> header) {
        if (!finished) {
            connect(header);
        }
    }

    /** The tunnel no longer needs this attempt (the client left, another proxy won): close, report nothing. */
    void abandon() {
        if (!finished) {
            finished = true;
            if (channel != null) {
                channel.close();
            }
        }
    }

    private void finish(Channel tunnel, AttemptFailure failure) {
        if (finished) {
            if (tunnel != null) {
                tunnel.close();
            }
            return;
        }
        finished = true;
        done.done(this, tunnel, failure, IoErrors.millisSince(start));
    }
}
