package dev.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * Opens the upstream leg of a tunnel on the client's event loop. Through a proxy (the {@code splice} action):
 * {@code CONNECT host:port} by name through the upstream's proxies ({@link ProxyPlan}, {@link ProxyAttempt},
 * {@link ConnectHandshake}); the CONNECT target is never resolved here: the proxy does that. For direct: the
 * destination itself ({@link DirectDial}).
 * Proxy health, metrics and the auth-failure log learn of each proxy attempt through the {@link AttemptListener}.
 */
public final class Dialer {
    static final AttributeKey<String> REQUEST_AUTHORIZATION = AttributeKey.valueOf("sluice.requestAuthorization");
    private final Sockets sockets;
    private final AttemptListener listener;

    public Dialer(ChannelFactory<? extends Channel> channels, AddressResolverGroup<InetSocketAddress> resolvers,
                  WriteBufferWaterMark waterMark, AttemptListener listener) {
        this.sockets = new Sockets(channels, resolvers, waterMark);
        this.listener = listener;
    }

    /**
     * A tunnel through {@code upstream} to {@code host:port}, trying {@code candidates} in order within the
     * upstream's retry budget, with the credentials for {@code client} (null: a health probe, the upstream's own).
     * Cancel the future to abandon it.
     */
    public Future<Channel> throughProxy(EventLoop loop, Upstream upstream, Upstream.Candidates candidates, String host,
                                        int port, long timeoutMillis, InetAddress client, DialObserver observer) {
        Promise<Channel> result = loop.newPromise();
        ProxyCredentials credentials = client == null ? upstream.credentials() : upstream.credentialsFor(client);
        ConnectRequest request = new ConnectRequest(host, port, upstream.forwardedFor() ? client : null);
        new ProxyPlan(sockets, listener, loop, upstream, candidates.order(), credentials, request, timeoutMillis,
                observer, result).start();
        return result;
    }

    /**
     * A connection to one of {@code upstream}'s proxies that will carry plain HTTP requests in absolute form for
     * {@code client}, tried as for a tunnel: TCP (and TLS), and, when the upstream has credentials, authenticated
     * first by a probe, {@code HEAD uri} ({@link ConnectRequest#probe}), which leaves NTLM and Negotiate in force
     * on the connection. {@link #requestAuthorization} says what each request must carry
     * itself (Basic). Call {@link #handOver} once the HTTP codec is in the pipeline.
     */
    public Future<Channel> forHttp(EventLoop loop, Upstream upstream, Upstream.Candidates candidates, String uri,
                                   long timeoutMillis, InetAddress client, DialObserver observer) {
        Promise<Channel> result = loop.newPromise();
        ProxyCredentials credentials = upstream.credentialsFor(client);
        ConnectRequest probe = credentials == null ? null
                : ConnectRequest.probe(uri, upstream.forwardedFor() ? client : null);
        new ProxyPlan(sockets, listener, loop, upstream, candidates.order(), credentials, probe, timeoutMillis,
                observer, result).start();
        return result;
    }

    /**
     * The {@code Proxy-Authorization} value every request on {@code proxy} (from {@link #forHttp}) must carry:
     * Basic credentials, which proxies check per request; null when the connection itself is authenticated, or
     * no authentication is needed.
     */
    public static String requestAuthorization(Channel proxy) {
        return proxy.attr(REQUEST_AUTHORIZATION).get();
    }

    /**
     * A plain TCP connection to {@code host:port} made by the gateway itself. {@code refusal} sees the resolved
     * address first and says why it must not be dialled (the gateway's own services), or null: the attempt then
     * fails with {@link DialException.Kind#REFUSED} and no connection is made.
     */
    public Future<Channel> direct(EventLoop loop, String host, int port, long timeoutMillis, DialObserver observer,
                                  Function<InetSocketAddress, String> refusal) {
        return DirectDial.dial(sockets, loop, host, port, timeoutMillis, observer, refusal);
    }

    /**
     * Gives the tunnel bytes that arrived with the proxy's answer (held until now) to the handlers after them:
     * call once the relay is in the upstream leg's pipeline.
     */
    public static void handOver(Channel upstream) {
        TunnelHold.release(upstream);
    }
}
