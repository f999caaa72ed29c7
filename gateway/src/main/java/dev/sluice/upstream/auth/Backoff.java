package dev.sluice.upstream.auth;

import java.time.Duration;

/** How long to wait before the next login after {@code n} failed ones in a row: doubling from a first wait to a cap. */
record Backoff(Duration first, Duration max) {
    static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(5));

    Backoff {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff must start above 0 and end at or after its start: "
                    + first + " .. " + max);
        }
    }

    Duration after(int failures) {
        Duration wait = first;
        for (int i = 1; i < failures && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }

    /** "200 ms", "5 s", "2 min 40 s", "5 min": for log lines. */
    static String words(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        long s = d.toSeconds();
        if (s < 120) {
            return s + " s";
        }
        return s % 60 == 0 ? (s / 60) + " min" : (s / 60) + " min " + (s % 60) + " s";
    }
}
