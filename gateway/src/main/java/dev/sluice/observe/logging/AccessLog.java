package dev.sluice.observe.logging;

import dev.sluice.session.ConnectionRecord;
import dev.sluice.session.RequestRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per connection when it ends. Event loops only format the line and queue it; one writer thread
 * does the I/O, so a slow disk never stalls a tunnel. The queue is bounded: if it is full, lines are dropped and
 * counted (and the count is logged), never buffered without limit. A write that fails (a full disk) drops whole
 * lines, counted and logged apart from those, and the file never holds a cut line with another glued to it
 * ({@link LineWriter}).
 */
public final class AccessLog implements ConnectionRecord.Observer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final int QUEUE = 16_384;
    private static final long WRITE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final String STOP = new String("stop");

    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Path file; // null unless the target is a file (only a file can be reopened)
    private final LineLosses losses;
    private volatile boolean reopen;
    private LineWriter out; // the writer thread's after construction
    private final Thread writer;
    private final List<Consumer<String>> taps = new java.util.concurrent.CopyOnWriteArrayList<>();

    private AccessLog(LineWriter out, String target, Path file) {
        this.out = out;
        this.file = file;
        this.losses = new LineLosses(target, QUEUE);
        AccessLogLine.warmUp();
        this.writer = out == null ? null : new Thread(this::drain, "sluice-access-log");
        if (writer != null) {
            writer.setDaemon(true);
            writer.start();
        }
    }

    /** {@code target}: "stdout", "stderr", "off" or a file path (appended to). */
    public static AccessLog open(String target) throws IOException {
        return switch (target) {
            case "off" -> new AccessLog(null, target, null);
            case "stdout" -> new AccessLog(LineTargets.stream(System.out), target, null);
            case "stderr" -> new AccessLog(LineTargets.stream(System.err), target, null);
            default -> new AccessLog(LineTargets.file(Path.of(target)), target, Path.of(target));
        };
    }

    /**
     * Closes and opens the file again, within a few milliseconds (after logrotate moved it away; SIGUSR1 and
     * SIGHUP ask for it). Nothing for stdout, stderr or off.
     */
    public void reopen() {
        if (file != null) {
            reopen = true;
            LockSupport.unpark(writer);
        }
    }

    /** Also hands every line to {@code tap}, whatever becomes of it (tests). Called on the writer thread. */
    public void tap(Consumer<String> tap) {
        taps.add(tap);
    }

    @Override
    public void ended(ConnectionRecord t) {
        line(AccessLogLine.format(t));
    }

    @Override
    public void requested(ConnectionRecord t, RequestRecord r) {
        line(AccessLogLine.format(t, r));
    }

    private void line(String line) {
        if (writer == null) {
            taps.forEach(tap -> tap.accept(line));
            return;
        }
        if (!queue.offer(line)) {
            losses.queueFull();
        }
    }

    private void drain() {
        List<String> batch = new ArrayList<>(1024);
        while (true) {
            if (reopen) {
                reopen = false;
                reopenFile();
            }
            String first = queue.poll();
            if (first == null) {
                // parked, not waiting on the queue: an event loop that queues a line wakes no thread
                // (one futex call less per tunnel); lines wait at most this long
                LockSupport.parkNanos(WRITE_EVERY_NANOS);
                if (Thread.interrupted()) {
                    return;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, 1023);
            boolean stop = batch.removeIf(l -> l == STOP);
            write(batch);
            batch.clear();
            losses.reportQueueFull();
            if (stop) {
                letGo(out);
                return;
            }
        }
    }

    private void write(List<String> lines) {
        for (String line : lines) {
            for (Consumer<String> tap : taps) {
                tap.accept(line);
            }
        }
        if (lines.isEmpty()) {
            return;
        }
        LineWriter.Result r = out.write(lines);
        if (r.error() == null) {
            losses.writeWorked();
        } else {
            // keep going: a full disk may be freed
            losses.writeFailed(r.lost(), r.error());
        }
    }

    private void reopenFile() {
        LineWriter fresh;
        try {
            fresh = LineTargets.file(file);
        } catch (IOException e) {
            LOG.error("cannot reopen access log {}, still writing to the file it had open: {}", file, e.getMessage());
            return;
        }
        letGo(out);
        out = fresh;
        LOG.info("access log {} reopened", file);
    }

    /** Finishes or takes back a cut line, reports an episode of failed writes, closes the target. */
    private void letGo(LineWriter target) {
        LineWriter.Result r = target.finish();
        if (r.error() != null) {
            losses.writeFailed(r.lost(), r.error());
        }
        losses.letGo();
        try {
            target.close();
        } catch (IOException e) {
            LOG.warn("closing access log {}: {}", file, e.getMessage());
        }
    }

    /** Lines dropped because the queue was full (the writer could not keep up). */
    public long droppedQueueFull() {
        return losses.droppedQueueFull();
    }

    /** Lines lost because a write failed (a full disk). */
    public long lostToWriteErrors() {
        return losses.lostToWriteErrors();
    }

    /** Writes what is queued, then stops the writer. */
    @Override
    public void close() {
        if (writer == null) {
            return;
        }
        try {
            // never wait for ever: a writer stuck on a dead disk must not hold up shutdown
            if (queue.offer(STOP, 2, TimeUnit.SECONDS)) {
                writer.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
