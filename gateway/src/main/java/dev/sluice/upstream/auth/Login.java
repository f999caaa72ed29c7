package dev.sluice.upstream.auth;

import java.time.Duration;
import java.time.Instant;
import javax.security.auth.Subject;

/**
 * One successful keytab login: the Subject holding its ticket-granting ticket (and, as tokens are made, the service
 * tickets JGSS gets with it) and when that TGT was issued and ends.
 */
record Login(Subject subject, Instant issued, Instant end) {
    /** Share of the ticket lifetime after which Sluice logs in again (the JDK never renews a keytab login). */
    static final double RELOGIN_AT = 0.8;

    boolean validAt(Instant now) {
        return now.isBefore(end);
    }

    /** When to log in again: at 80 % of the ticket's lifetime. */
    Instant reloginAt() {
        long lifetime = Math.max(0, Duration.between(issued, end).toMillis());
        return issued.plusMillis((long) (lifetime * RELOGIN_AT));
    }
}
