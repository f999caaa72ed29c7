package dev.sluice.upstream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WARN when authenticating to a proxy fails (it refused the gateway's credentials, or our Kerberos side could
 * not make a token), at most once a minute per upstream (with how many
 * tunnels failed so since the last line): the reason names the account or principal, the scheme and the SPN,
 * never a secret. Each such tunnel is also in the access log as {@code proxy_auth_failed}.
 */
public final class AuthWarnings implements AttemptListener {
    private static final Logger LOG = LoggerFactory.getLogger(AuthWarnings.class);
    private static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Map<String, AtomicLong> next = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> held = new ConcurrentHashMap<>();

    @Override
    public void failed(Upstream upstream, Proxy proxy, AttemptFailure failure) {
        if (failure.kind() != DialException.Kind.AUTH) {
            return;
        }
        AtomicLong count = held.computeIfAbsent(upstream.name(), k -> new AtomicLong());
        count.incrementAndGet();
        AtomicLong due = next.computeIfAbsent(upstream.name(), k -> new AtomicLong(System.nanoTime()));
        long now = System.nanoTime();
        long at = due.get();
        if (now - at >= 0 && due.compareAndSet(at, now + INTERVAL_NANOS)) {
            long n = count.getAndSet(0);
            LOG.warn("upstream {}: authentication to proxy {} failed: {}{}", upstream.name(), proxy.url(),
                    failure.why(), n > 1 ? " (" + n + " tunnels failed so since the last such line)" : "");
        }
    }
}
