package dev.sluice.observe.metrics;

import dev.sluice.net.IpLiteral;
import dev.sluice.observe.logging.Throttle;
import java.net.InetAddress;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections closed at once because of a limit, and failed accepts: counted in the metrics, logged at most once
 * every 10 s per reason (with how many there were), never one access-log line each: a flood must not become
 * a flood of log lines.
 */
public final class Refusals {
    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);
    private static final long INTERVAL_MILLIS = 10_000;

    private final Metrics metrics;
    private final Map<Metrics.Refusal, Throttle> throttles = new EnumMap<>(Metrics.Refusal.class);
    private final Throttle acceptErrors = new Throttle(INTERVAL_MILLIS);

    public Refusals(Metrics metrics) {
        this.metrics = metrics;
        for (Metrics.Refusal r : Metrics.Refusal.values()) {
            throttles.put(r, new Throttle(INTERVAL_MILLIS));
        }
    }

    /** A connection from {@code client} closed because {@code reason}'s limit ({@code limit}) was reached. */
    public void refused(Metrics.Refusal reason, InetAddress client, int limit) {
        metrics.refused(reason);
        long n = throttles.get(reason).event();
        if (n > 0) {
            LOG.warn("refusing new connections: {} ({}) reached, last from {}; {} refused since the last report",
                    reason.label(), limit, IpLiteral.format(client), n);
        }
    }

    /** A listener failed to accept (and pauses). */
    public void acceptFailed(String listener, Throwable cause) {
        metrics.acceptFailed(listener);
        long n = acceptErrors.event();
        if (n > 0) {
            LOG.error("listener {}: accept failed: {}; not accepting for 1 s, then trying again ({} failure{} since "
                    + "the last report)", listener, cause.getMessage(), n, n == 1 ? "" : "s");
        }
    }
}
