package dev.sluice.upstream;

import dev.sluice.config.ProxyUrl;

/** One corporate proxy of an upstream. Health and latency arrive with the upstream-health work. */
public record Proxy(ProxyUrl url) {

    /** {@code host:port}, as shown in the access log. */
    public String label() {
        return url.authority();
    }

    @Override
    public String toString() {
        return url.toString();
    }
}
