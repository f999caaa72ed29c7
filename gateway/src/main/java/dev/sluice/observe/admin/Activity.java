package dev.sluice.observe.admin;

import dev.sluice.net.HostPort;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.session.Outcome;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the status page shows of the traffic: the open connections (for the busiest), how often each rule
 * matched, and the last connections that did not end well. Bounded: the open set by the connection limits,
 * the error list to {@link #KEEP} entries, the rule counters by the rule names in the configuration.
 */
public final class Activity implements ConnectionRecord.Observer {
    /** Failed connections kept for the status page. */
    public static final int KEEP = 50;

    /** One connection that did not end well. */
    public record Failure(Instant at, String client, String sni, String outcome, String error) {
    }

    private final Set<ConnectionRecord> open = ConcurrentHashMap.newKeySet();
    private final Map<String, LongAdder> ruleHits = new ConcurrentHashMap<>();
    private final ArrayDeque<Failure> failures = new ArrayDeque<>(KEEP);

    @Override
    public void opened(ConnectionRecord t) {
        open.add(t);
    }

    @Override
    public void ended(ConnectionRecord t) {
        open.remove(t);
        if (t.rule() != null) {
            ruleHits.computeIfAbsent(t.rule(), k -> new LongAdder()).increment();
        }
        if (t.outcome() != Outcome.OK) {
            Failure f = new Failure(Instant.ofEpochMilli(t.startMillis()),
                    t.client() == null ? null : HostPort.of(t.client()).toString(), t.sni(), t.outcome().label(), t.error());
            synchronized (failures) {
                if (failures.size() == KEEP) {
                    failures.removeFirst();
                }
                failures.addLast(f);
            }
        }
    }

    /** The {@code n} open connections that moved the most bytes, most first. */
    public List<ConnectionRecord> busiest(int n) {
        List<ConnectionRecord> all = new ArrayList<>(open);
        all.sort(Comparator.comparingLong((ConnectionRecord t) -> t.bytesUp() + t.bytesDown()).reversed());
        return all.subList(0, Math.min(n, all.size()));
    }

    public int open() {
        return open.size();
    }

    /** Connections that ended under {@code rule} (ended ones only: an open tunnel counts when it closes). */
    public long hits(String rule) {
        LongAdder a = ruleHits.get(rule);
        return a == null ? 0 : a.sum();
    }

    /** The last failures, newest first. */
    public List<Failure> failures() {
        synchronized (failures) {
            List<Failure> out = new ArrayList<>(failures);
            java.util.Collections.reverse(out);
            return out;
        }
    }
}
