package dev.sluice.observe.logging;

import dev.sluice.upstream.AttemptFailure;
import dev.sluice.upstream.AttemptListener;
import dev.sluice.upstream.DialException;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.Upstream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WARN when authenticating to a proxy fails (it refused the gateway's credentials, or our Kerberos side could
 * not make a token), at most once a minute per upstream, with how many tunnels failed so since the last line: the
 * reason names the account or principal, the scheme and the SPN, never a secret. Each such tunnel is also in the
 * access log as {@code proxy_auth_failed}.
 */
public final class AuthWarnings implements AttemptListener {
    private static final Logger LOG = LoggerFactory.getLogger(AuthWarnings.class);
    private static final long INTERVAL_MILLIS = TimeUnit.MINUTES.toMillis(1);

    private final Map<String, Throttle> byUpstream = new ConcurrentHashMap<>();

    @Override
    public void failed(Upstream upstream, Proxy proxy, AttemptFailure failure) {
        if (failure.kind() != DialException.Kind.AUTH) {
            return;
        }
        long n = byUpstream.computeIfAbsent(upstream.name(), k -> new Throttle(INTERVAL_MILLIS)).event();
        if (n > 0) {
            LOG.warn("upstream {}: authentication to proxy {} failed: {}{}", upstream.name(), proxy.url(),
                    failure.why(), n > 1 ? " (" + n + " tunnels failed so since the last such line)" : "");
        }
    }
}
