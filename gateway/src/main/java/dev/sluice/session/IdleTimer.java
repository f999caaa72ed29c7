package dev.sluice.session;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Fires when nothing has moved for its period. {@link #touch} only notes the time: the one scheduled task checks
 * it when due and waits the rest, so progress costs no rescheduling. Used on one event loop.
 */
final class IdleTimer {
    private final EventExecutor executor;
    private final LongConsumer onIdle;
    private long lastProgress = System.nanoTime();
    private ScheduledFuture<?> timer;

    /** {@code onIdle} gets the period that ran out. */
    IdleTimer(EventExecutor executor, LongConsumer onIdle) {
        this.executor = executor;
        this.onIdle = onIdle;
    }

    /** (Re)starts with period {@code millis}, counted from now. */
    void arm(long millis) {
        cancel();
        touch();
        timer = executor.schedule(() -> due(millis), millis, TimeUnit.MILLISECONDS);
    }

    /** Something moved. */
    void touch() {
        lastProgress = System.nanoTime();
    }

    void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void due(long millis) {
        timer = null;
        long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgress);
        if (idle < millis) {
            timer = executor.schedule(() -> due(millis), millis - idle, TimeUnit.MILLISECONDS);
        } else {
            onIdle.accept(millis);
        }
    }
}
