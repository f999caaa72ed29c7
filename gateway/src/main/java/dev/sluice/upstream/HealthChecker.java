package dev.sluice.upstream;

import dev.sluice.net.HostPort;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Active health probes: for each upstream with a {@code health.target}, every {@code health.interval} each proxy
 * gets a TCP connect and a {@code CONNECT target} (2xx = healthy; authenticated like tunnels), run on the event
 * loops as ordinary connections. The result feeds the proxy's in/out-of-service state like real traffic does,
 * and more: an error status for the probe's target counts too (traffic's statuses are about destinations, the
 * probe's target is one the operator vouches for). A proxy out of service is probed with exponential backoff
 * (up to 5 minutes).
 */
public final class HealthChecker implements AutoCloseable {
    private static final long MAX_BACKOFF_MILLIS = TimeUnit.MINUTES.toMillis(5);

    private final Dialer dialer;
    private final EventLoopGroup loops;
    private final Map<Proxy, Future<?>> scheduled = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public HealthChecker(Dialer dialer, EventLoopGroup loops) {
        this.dialer = dialer;
        this.loops = loops;
    }

    public HealthChecker start(Collection<Upstream> upstreams) {
        for (Upstream up : upstreams) {
            if (up.policy().healthTarget() != null) {
                for (Proxy p : up.proxies()) {
                    schedule(up, p, 0, 0);
                }
            }
        }
        return this;
    }

    private void schedule(Upstream up, Proxy proxy, long delayMillis, int downProbes) {
        if (closed) {
            return;
        }
        EventLoop loop = loops.next();
        scheduled.put(proxy, loop.schedule(() -> probe(loop, up, proxy, downProbes), delayMillis,
                TimeUnit.MILLISECONDS));
    }

    private void probe(EventLoop loop, Upstream up, Proxy proxy, int downProbes) {
        HostPort target = up.policy().healthTarget();
        long timeout = up.policy().healthTimeout().toMillis();
        Future<Channel> f = dialer.throughProxy(loop, up, new Upstream.Candidates(List.of(proxy), false), target.host(),
                target.port(), timeout, null, (via, error, millis) -> { });
        f.addListener(done -> {
            if (done.isSuccess()) {
                f.getNow().close();
            } else if (done.cause() instanceof DialException e && e.failure() != null && !e.failure().proxyFault()
                    && (e.kind() == DialException.Kind.PROXY || e.kind() == DialException.Kind.DENIED)) {
                // traffic does not count what a proxy says of a destination; of the target the operator named
                // as healthy it does: a proxy that cannot reach it is no use
                proxy.failed("health probe: " + e.failure().why());
            }
            long interval = up.policy().healthInterval().toMillis();
            if (proxy.isUp()) {
                schedule(up, proxy, interval, 0);
            } else {
                long backoff = Math.min(MAX_BACKOFF_MILLIS, interval << Math.min(downProbes, 20));
                schedule(up, proxy, backoff, downProbes + 1);
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        scheduled.values().forEach(f -> f.cancel(false));
    }
}
