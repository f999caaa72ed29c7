package dev.sluice.dns;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Each client's query rate, as a token bucket: {@code perSecond} tokens a second, as many at most (one second's
 * burst). Bounded: it remembers the {@link #CLIENTS} most recently seen clients; one forgotten starts full again.
 * Used by one thread (the responder's event loop).
 */
final class ClientRates {
    static final int CLIENTS = 16384;

    private static final class Bucket {
        double tokens;
        long at;
    }

    private final Map<InetAddress, Bucket> buckets = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Bucket> eldest) {
            return size() > CLIENTS;
        }
    };

    /** Whether {@code client} may ask one more question at {@code nanos}, at {@code perSecond}. */
    boolean allow(InetAddress client, long nanos, int perSecond) {
        Bucket b = buckets.get(client);
        if (b == null) {
            b = new Bucket();
            b.tokens = perSecond;
            b.at = nanos;
            buckets.put(client, b);
        }
        b.tokens = Math.min(perSecond, b.tokens + (nanos - b.at) / 1e9 * perSecond);
        b.at = nanos;
        if (b.tokens < 1) {
            return false;
        }
        b.tokens--;
        return true;
    }
}
