package dev.sluice.observe.logging;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the access-log lines that never reached the target, by cause, and tells the operator: lines dropped
 * because the queue was full (the writer could not keep up) and lines lost to failed writes (a full disk), each
 * with its own count and words. A failed write starts an episode (one error line with the error); the first write
 * that works again ends it with the number of lines it cost.
 */
final class LineLosses {
    /** The logger the operator sees these lines under: the access log's. */
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);

    private final String target;
    private final int queueSize;
    private final AtomicLong queueFull = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    // the writer thread's
    private long queueFullReported;
    private long lostThisEpisode;
    private String episodeError; // null while writes work

    LineLosses(String target, int queueSize) {
        this.target = target;
        this.queueSize = queueSize;
    }

    /** A line dropped because the queue was full (any thread). */
    void queueFull() {
        queueFull.incrementAndGet();
    }

    /** After a write that went wrong: {@code lost} lines dropped because of {@code error}. */
    void writeFailed(int lost, IOException error) {
        writeErrors.addAndGet(lost);
        lostThisEpisode += lost;
        if (episodeError == null) {
            episodeError = describe(error);
            LOG.error("access log {}: write failed ({}); whole lines are dropped until a write works again", target,
                    episodeError);
        }
    }

    /** After a write that worked: ends an episode of failed writes with what it cost. */
    void writeWorked() {
        if (episodeError != null) {
            LOG.warn("access log {} writable again: {} lost to write errors ({})", target, lines(lostThisEpisode),
                    episodeError);
            episodeError = null;
            lostThisEpisode = 0;
        }
    }

    /** When the target is let go (a reopen, shutdown) during an episode: what it cost so far. */
    void letGo() {
        if (episodeError != null) {
            LOG.warn("access log {} closed while writes fail: {} lost to write errors ({})", target,
                    lines(lostThisEpisode), episodeError);
            episodeError = null;
            lostThisEpisode = 0;
        }
    }

    /** Says so when more lines were dropped for a full queue since the last time it said so. */
    void reportQueueFull() {
        long now = queueFull.get();
        if (now != queueFullReported) {
            LOG.warn("access log could not keep up: {} dropped because its queue ({} lines) was full; {} in all",
                    lines(now - queueFullReported), queueSize, now);
            queueFullReported = now;
        }
    }

    long droppedQueueFull() {
        return queueFull.get();
    }

    long lostToWriteErrors() {
        return writeErrors.get();
    }

    private static String lines(long n) {
        return n == 1 ? "1 line" : n + " lines";
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
