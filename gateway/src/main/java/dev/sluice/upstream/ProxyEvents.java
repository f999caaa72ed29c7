package dev.sluice.upstream;

/**
 * Told of each CONNECT through a proxy as it settles (tunnels and health probes alike), on the event loop that
 * made it; metrics listen. Implementations must not block.
 */
public interface ProxyEvents {
    ProxyEvents NONE = new ProxyEvents() {
    };

    /** The proxy answered 200 after {@code millis} (TCP, TLS and CONNECT). */
    default void connected(Upstream upstream, Proxy proxy, long millis) {
    }

    /** The proxy could not be reached or did not answer 200 (a 403 included). */
    default void failed(Upstream upstream, Proxy proxy) {
    }
}
