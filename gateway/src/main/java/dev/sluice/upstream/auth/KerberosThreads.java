package dev.sluice.upstream.auth;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor every {@link KerberosClient} shares by default: two daemon threads "sluice-kerberos-N", made on first
 * use. KDC round trips (logins, service tickets) block these threads and nothing else.
 */
final class KerberosThreads {
    private static final int THREADS = 2;

    private KerberosThreads() {
    }

    static ScheduledExecutorService shared() {
        return Holder.SHARED;
    }

    private static final class Holder {
        static final ScheduledExecutorService SHARED = create();
    }

    private static ScheduledExecutorService create() {
        AtomicInteger n = new AtomicInteger();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(THREADS, r -> {
            Thread t = new Thread(r, "sluice-kerberos-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
