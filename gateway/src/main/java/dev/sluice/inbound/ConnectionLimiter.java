package dev.sluice.inbound;

import dev.sluice.config.Limits;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open client connections, in all and per client address, against {@link Limits}. Shared by every
 * listener and event loop; each call is a few atomic operations, no lock across I/O. The limits may change at a
 * reload: connections already open stay, and new ones are measured against the new numbers.
 */
public final class ConnectionLimiter {
    /** Which limit refused a connection. */
    public enum Over { MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT }

    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private volatile Limits limits;

    public ConnectionLimiter(Limits limits) {
        this.limits = limits;
    }

    public void limits(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** Counts a new connection from {@code client}; null when it may go on, else the limit it is over. */
    public Over tryAcquire(InetAddress client) {
        Limits l = limits;
        if (total.incrementAndGet() > l.maxConnections()) {
            total.decrementAndGet();
            return Over.MAX_CONNECTIONS;
        }
        boolean[] over = {false};
        perClient.compute(client, (k, n) -> {
            int open = n == null ? 0 : n;
            if (open >= l.maxConnectionsPerClient()) {
                over[0] = true;
                return n;
            }
            return open + 1;
        });
        if (over[0]) {
            total.decrementAndGet();
            return Over.MAX_CONNECTIONS_PER_CLIENT;
        }
        return null;
    }

    /** A connection counted by {@link #tryAcquire} has closed. */
    public void release(InetAddress client) {
        perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
        total.decrementAndGet();
    }

    public int open() {
        return total.get();
    }

    /** Open connections from {@code client}. */
    public int open(InetAddress client) {
        return perClient.getOrDefault(client, 0);
    }
}
