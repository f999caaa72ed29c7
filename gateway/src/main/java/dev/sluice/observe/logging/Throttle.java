package dev.sluice.observe.logging;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a log line through at most once per interval, and counts what it held back, so a flood of the same event
 * (refused connections, failed accepts) costs one line per interval instead of one per event.
 */
public final class Throttle {
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(System.nanoTime());
    private final AtomicLong events = new AtomicLong();

    public Throttle(long intervalMillis) {
        this.intervalNanos = intervalMillis * 1_000_000;
    }

    /** Counts one event; returns 0 when it should not be logged, else the events since the last line logged. */
    public long event() {
        events.incrementAndGet();
        long now = System.nanoTime();
        long due = next.get();
        if (now - due >= 0 && next.compareAndSet(due, now + intervalNanos)) {
            return Math.max(1, events.getAndSet(0));
        }
        return 0;
    }
}
