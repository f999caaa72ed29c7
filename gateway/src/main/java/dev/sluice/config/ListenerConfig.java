package dev.sluice.config;

import dev.sluice.net.HostPort;

/**
 * One address the gateway accepts client connections on. {@code peek}: {@link #TLS} (a ClientHello, its SNI) or
 * {@link #HTTP} (a plain HTTP request head, its Host).
 */
public record ListenerConfig(String name, HostPort listen, Transparent transparent, String peek, int defaultPort,
                             Position position) {
    public static final String TLS = "tls";
    public static final String HTTP = "http";

    /** True for a plain HTTP listener ({@code peek: http}). */
    public boolean http() {
        return HTTP.equals(peek);
    }
}
