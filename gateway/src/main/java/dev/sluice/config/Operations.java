package dev.sluice.config;

import java.time.Duration;

/**
 * How the gateway is run rather than how it routes: the admin listener (null when off), connection limits, how
 * long a graceful shutdown lets open tunnels finish ({@code shutdown.drain}), and log levels.
 */
public record Operations(AdminConfig admin, Limits limits, Duration drain, LoggingConfig logging) {
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);
    public static final Operations DEFAULTS = new Operations(null, Limits.DEFAULTS, DEFAULT_DRAIN,
            LoggingConfig.DEFAULTS);
}
