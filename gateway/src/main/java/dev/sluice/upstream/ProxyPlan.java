package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.List;

/**
 * The tries at one upstream's proxies for one tunnel: in order, or the first N raced ({@code fastest_of}), within
 * the retry budget (attempts, deadline). A failure that is final (403, our credentials refused, the gateway's own
 * limit) ends it at once. When all fail, the tunnel's error is the most telling attempt's (an answer from a proxy
 * beats a refused connection), named by its proxy. Everything here runs on the tunnel's event loop.
 */
final class ProxyPlan implements ProxyAttempt.Done {
    private final Sockets sockets;
    private final AttemptListener listener;
    private final EventLoop loop;
    private final Upstream upstream;
    private final List<Proxy> order;
    private final ProxyCredentials credentials;
    private final ConnectRequest request;
    private final long timeoutMillis;
    private final long deadline;
    private final DialObserver observer;
    private final Promise<Channel> result;
    private final List<ProxyAttempt> running = new ArrayList<>(2);
    private int index;
    private int racing;
    private AttemptFailure best;
    private Proxy bestProxy;

    ProxyPlan(Sockets sockets, AttemptListener listener, EventLoop loop, Upstream upstream, List<Proxy> order,
              ProxyCredentials credentials, ConnectRequest request, long timeoutMillis, DialObserver observer,
              Promise<Channel> result) {
        this.sockets = sockets;
        this.listener = listener;
        this.loop = loop;
        this.upstream = upstream;
        this.order = order;
        this.credentials = credentials;
        this.request = request;
        this.timeoutMillis = timeoutMillis;
        this.deadline = System.nanoTime() + upstream.policy().deadline().toNanos();
        this.observer = observer;
        this.result = result;
    }

    /**
     * With {@code fastest_of: N}, the first N candidates are raced (the first 200 wins, the others are closed);
     * if all of them fail, the rest are tried one by one. Otherwise one by one from the start.
     */
    void start() {
        result.addListener(f -> {
            if (f.isCancelled()) {
                abandonAll(); // the client went away
            }
        });
        int n = Math.min(upstream.policy().fastestOf(), order.size());
        if (n < 2) {
            next();
            return;
        }
        racing = n;
        for (int i = 0; i < n; i++) {
            attempt(order.get(index++));
        }
    }

    private void next() {
        if (result.isDone()) {
            return;
        }
        if (index >= order.size()) {
            fail("");
            return;
        }
        if (index > 0 && System.nanoTime() - deadline > 0) {
            fail(" (retry deadline of " + upstream.policy().deadline().toMillis() + " ms reached after " + index
                    + " attempts)");
            return;
        }
        attempt(order.get(index++));
    }

    private void attempt(Proxy proxy) {
        ProxyAttempt a = new ProxyAttempt(sockets, loop, proxy, upstream.tls(), request,
                new AuthSession(credentials, proxy), timeoutMillis, this);
        running.add(a);
        a.start();
    }

    @Override
    public void done(ProxyAttempt attempt, Channel tunnel, AttemptFailure failure, long millis) {
        running.remove(attempt);
        Proxy proxy = attempt.proxy();
        if (tunnel != null) {
            listener.connected(upstream, proxy, millis, attempt.scheme());
            if (attempt.scheme() == AuthScheme.BASIC) {
                tunnel.attr(Dialer.REQUEST_AUTHORIZATION).set(credentials.basicHeader());
            }
            if (result.trySuccess(tunnel)) {
                if (attempt.scheme() != null) {
                    observer.scheme(attempt.scheme());
                }
                if (attempt.note() != null) {
                    observer.note(attempt.note());
                }
                observer.attempt(proxy.label(), null, millis);
                abandonAll(); // the other racers
            } else {
                tunnel.close(); // closed cleanly: another proxy answered first
                if (!result.isCancelled()) {
                    observer.attempt(proxy.label(), "answered after another proxy; closed", millis);
                }
            }
            return;
        }
        if (result.isDone()) {
            return; // closed by us: another proxy won the race, or the client went away
        }
        listener.failed(upstream, proxy, failure);
        observer.attempt(proxy.label(), failure.why(), millis);
        if (best == null || failure.rank() >= best.rank()) {
            best = failure;
            bestProxy = proxy;
        }
        if (!failure.retry()) {
            fail(failure, proxy, "");
            abandonAll();
        } else if (racing > 0) {
            if (--racing == 0) {
                next(); // every raced proxy failed: on with the rest, one by one
            }
        } else {
            next();
        }
    }

    private void fail(String suffix) {
        if (best == null) {
            result.tryFailure(new DialException(DialException.Kind.CONNECT, "upstream has no proxies"));
        } else {
            fail(best, bestProxy, suffix);
        }
    }

    private void fail(AttemptFailure f, Proxy proxy, String suffix) {
        if (f.scheme() != null) {
            observer.scheme(f.scheme());
        }
        result.tryFailure(exception(f, proxy, suffix));
    }

    private static DialException exception(AttemptFailure f, Proxy proxy, String suffix) {
        return new DialException(f.kind(), proxy.label() + ": " + f.why() + suffix, f);
    }

    private void abandonAll() {
        for (ProxyAttempt a : List.copyOf(running)) {
            a.abandon();
        }
        running.clear();
    }
}
