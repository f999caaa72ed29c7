package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;

/**
 * Proxy health from real traffic: a tunnel through a proxy is a success; a failure counts only when it is the
 * proxy's own (unreachable, TLS, silence, garbage). What a proxy says about a destination (5xx, 403, 404) or about
 * our credentials says nothing about its health: a client cannot take a proxy out of service by asking for
 * names that do not resolve.
 */
public final class ProxyHealth implements AttemptListener {
    @Override
    public void connected(Upstream upstream, Proxy proxy, long millis, AuthScheme scheme) {
        proxy.succeeded(millis);
    }

    @Override
    public void failed(Upstream upstream, Proxy proxy, AttemptFailure failure) {
        if (failure.proxyFault()) {
            proxy.failed(failure.why());
        }
    }
}
