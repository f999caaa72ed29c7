package dev.sluice.config;

import dev.sluice.net.HostPort;
import java.time.Duration;

/**
 * How an upstream chooses and retries its proxies.
 * {@code strategy}: failover (list order, first healthy), round_robin (over healthy), least_latency (lowest EWMA of
 * CONNECT round-trip times, with a little randomness so a cold proxy gets tried). {@code fastestOf} (0 = off):
 * race the CONNECT to that many of the best candidates and keep the first that answers 200.
 * {@code attempts}/{@code deadline}: the retry budget of one tunnel. {@code fall}/{@code rise}: consecutive failures
 * that take a proxy out, successes that bring it back. {@code healthTarget} (host:port, null = no active probe),
 * probed every {@code healthInterval} with {@code healthTimeout}.
 */
public record UpstreamPolicy(Strategy strategy, int fastestOf, int attempts, Duration deadline, int fall, int rise,
                             HostPort healthTarget, Duration healthInterval, Duration healthTimeout) {

    /** The order in which an upstream's proxies are tried. */
    public enum Strategy {
        FAILOVER, ROUND_ROBIN, LEAST_LATENCY;

        /** As written in the configuration. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** attempts 0 = as many as there are proxies. */
    public static final UpstreamPolicy DEFAULTS = new UpstreamPolicy(Strategy.FAILOVER, 0, 0, Duration.ofSeconds(15),
            3, 2, null, Duration.ofSeconds(10), Duration.ofSeconds(3));
}
