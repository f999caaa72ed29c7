package dev.sluice.upstream;

import dev.sluice.config.ProxyUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One corporate proxy of an upstream and what the gateway has learned about it: in or out of service (after
 * {@code fall} failures in a row it is taken out, after {@code rise} successes it returns) and an EWMA of its
 * CONNECT round-trip time. Fed by real traffic (passive, through {@link ProxyHealth}) and by the health checker
 * (active). Shared by all
 * event loops; the methods are short and synchronized (no I/O inside).
 */
public final class Proxy {
    private static final Logger LOG = LoggerFactory.getLogger(Proxy.class);
    private static final double ALPHA = 0.3;

    private final ProxyUrl url;
    private final String upstream;
    private final int fall;
    private final int rise;
    private int failures;
    private int successes;
    private boolean up = true;
    private double latencyMillis = -1;
    private long totalFailures;
    private long totalSuccesses;

    public Proxy(ProxyUrl url, String upstream, int fall, int rise) {
        this.url = url;
        this.upstream = upstream;
        this.fall = fall;
        this.rise = rise;
    }

    public ProxyUrl url() {
        return url;
    }

    /** {@code host:port}, as shown in the access log. */
    public String label() {
        return url.authority();
    }

    /** A CONNECT through it answered 200 after {@code millis}. */
    public synchronized void succeeded(long millis) {
        failures = 0;
        successes++;
        totalSuccesses++;
        latencyMillis = latencyMillis < 0 ? millis : (1 - ALPHA) * latencyMillis + ALPHA * millis;
        if (!up && successes >= rise) {
            up = true;
            LOG.info("proxy {} of upstream {} is back in service after {} successes", url, upstream, successes);
        }
    }

    /**
     * The proxy itself failed: unreachable, TLS, silence or garbage ({@link ProxyHealth} decides; what it answers
     * about a destination or about our credentials is not its fault).
     */
    public synchronized void failed(String why) {
        successes = 0;
        failures++;
        totalFailures++;
        if (up && failures >= fall) {
            up = false;
            LOG.warn("proxy {} of upstream {} taken out of service after {} failures in a row; last: {}", url,
                    upstream, failures, why);
        }
    }

    /**
     * Takes over what {@code before} (the same proxy in the configuration being replaced) learned: in or out of
     * service, the failure and success runs, latency and totals. A reload then does not forget a dead proxy.
     */
    public void inherit(Proxy before) {
        int f;
        int s;
        boolean u;
        double l;
        long tf;
        long ts;
        synchronized (before) {
            f = before.failures;
            s = before.successes;
            u = before.up;
            l = before.latencyMillis;
            tf = before.totalFailures;
            ts = before.totalSuccesses;
        }
        synchronized (this) {
            failures = f;
            successes = s;
            up = u;
            latencyMillis = l;
            totalFailures = tf;
            totalSuccesses = ts;
        }
    }

    public synchronized boolean isUp() {
        return up;
    }

    /** EWMA of CONNECT round trips in ms; negative while unknown. */
    public synchronized double latencyMillis() {
        return latencyMillis;
    }

    public synchronized long totalFailures() {
        return totalFailures;
    }

    public synchronized long totalSuccesses() {
        return totalSuccesses;
    }

    /** For explain and logs: "http://p:3128 (up, 12 ms)". */
    public synchronized String describe() {
        return url + " (" + (up ? "up" : "down") + (latencyMillis < 0 ? "" : String.format(", %.0f ms", latencyMillis))
                + ")";
    }

    @Override
    public String toString() {
        return url.toString();
    }
}
