package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;

/**
 * Told of each attempt at a proxy as it settles (tunnels and health probes alike), on the event loop that made it:
 * proxy health, metrics and the auth-failure log learn from attempts through this. Implementations must not block.
 */
public interface AttemptListener {
    AttemptListener NONE = new AttemptListener() {
    };

    /** The proxy answered 2xx after {@code millis} (TCP, TLS and every leg); {@code scheme} null without auth. */
    default void connected(Upstream upstream, Proxy proxy, long millis, AuthScheme scheme) {
    }

    /** The attempt failed. */
    default void failed(Upstream upstream, Proxy proxy, AttemptFailure failure) {
    }

    /** Tells each of {@code listeners}, in order. */
    static AttemptListener all(AttemptListener... listeners) {
        return new AttemptListener() {
            @Override
            public void connected(Upstream upstream, Proxy proxy, long millis, AuthScheme scheme) {
                for (AttemptListener l : listeners) {
                    l.connected(upstream, proxy, millis, scheme);
                }
            }

            @Override
            public void failed(Upstream upstream, Proxy proxy, AttemptFailure failure) {
                for (AttemptListener l : listeners) {
                    l.failed(upstream, proxy, failure);
                }
            }
        };
    }
}
