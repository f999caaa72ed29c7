package dev.sluice.config;



/**
 * {@code max_connections}: open client connections in all (each holds two file descriptors once its tunnel is
 * up). {@code max_connections_per_client}: open connections from one client address. Over either, a new
 * connection is closed at once.
 */
public record Limits(int maxConnections, int maxConnectionsPerClient) {
    public static final Limits DEFAULTS = new Limits(8192, 512);
}
