package dev.sluice.dns;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the synthetic table on disk: reads it back at start-up, writes it every {@link #SAVE_SECONDS} seconds
 * when it changed, and once more at {@link #close}. Its own thread: no file I/O on an event loop.
 */
public final class TableKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TableKeeper.class);
    static final int SAVE_SECONDS = 5;

    private final SyntheticTable table;
    private final TableFile file;
    private final ScheduledExecutorService saver = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-dns-table");
        t.setDaemon(true);
        return t;
    });
    private long saved = -1;
    private boolean failing;

    public TableKeeper(SyntheticTable table, TableFile file) {
        this.table = table;
        this.file = file;
    }

    /** Restores what the file holds (a file that cannot be used is set aside, with a warning); starts saving. */
    public TableKeeper start() {
        try {
            int n = table.restore(file.read(table.ranges()));
            LOG.info("dns: {} names restored from {}", n, file.path());
        } catch (IOException e) {
            LOG.warn("dns: name table not restored: {}; starting empty (connections to addresses given out before "
                    + "are refused until their names are asked again)", e.getMessage());
        }
        saved = table.version();
        saver.scheduleWithFixedDelay(this::save, SAVE_SECONDS, SAVE_SECONDS, TimeUnit.SECONDS);
        return this;
    }

    private synchronized void save() {
        long v = table.version();
        if (v == saved) {
            return;
        }
        try {
            file.write(table.ranges(), table.snapshot());
            saved = v;
            if (failing) {
                LOG.info("dns: name table saved to {} again", file.path());
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                LOG.warn("dns: cannot save the name table to {}: {} (retrying every {} s)", file.path(),
                        e.getMessage(), SAVE_SECONDS);
                failing = true;
            }
        }
    }

    @Override
    public void close() {
        saver.shutdown();
        try {
            saver.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        save();
    }
}
