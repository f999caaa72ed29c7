package dev.sluice.observe.logging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Writes text lines to a byte channel so that the target only ever holds whole lines, even when writes fail.
 *
 * <p>A write can fail part-way through a line: on a full disk write(2) first writes what fits (a short write),
 * and only the next call fails with ENOSPC. The bytes of that cut line are in the file and cannot be taken back
 * without shrinking it under a log shipper that may be reading it. So this class keeps the unwritten rest of the
 * cut line and writes it first the next time, before anything else: the line is completed where it was cut, and
 * no other line is ever glued to half of one. The lines after the cut are dropped, whole, and reported. Nothing
 * else is held back: no buffer keeps bytes that a later flush could write out of place.
 *
 * <p>If the target must be let go while a line is still cut (a reopen or shutdown while the disk is still full),
 * {@link #finish()} tries once more and otherwise truncates the file back to where the cut line began. A target
 * that may already end mid-line (a file a crash cut) gets a newline before the first line.
 *
 * <p>Not thread-safe: the access log's writer thread owns it.
 */
final class LineWriter implements AutoCloseable {
    private final WritableByteChannel target;
    private ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
    private int[] ends = new int[256];
    /** Bytes that must reach the target before any other: the rest of a cut line, or a newline. */
    private ByteBuffer owed = ByteBuffer.allocate(0);
    /** The length of the cut line {@link #owed} completes (its newline included), or 0 when it owes a bare newline. */
    private int cutLength;

    /** What became of the lines of one {@link #write}: how many were dropped (whole), and why (null: none). */
    record Result(int lost, IOException error) {
        static final Result OK = new Result(0, null);
    }

    /** {@code endsMidLine}: the target may already end with part of a line; a newline goes first. */
    LineWriter(WritableByteChannel target, boolean endsMidLine) {
        this.target = target;
        if (endsMidLine) {
            owed = ByteBuffer.wrap(new byte[] {'\n'});
        }
    }

    /**
     * Writes the lines, each with a newline. When a write fails, the lines before the failure are whole in the
     * target, the one it cut is completed by the next call (it counts as neither written nor lost), and the rest
     * are lost.
     */
    Result write(List<String> lines) {
        try {
            writeFully(owed);
            cutLength = 0;
        } catch (IOException e) {
            return new Result(lines.size(), e);
        }
        encode(lines);
        try {
            writeFully(batch);
            return Result.OK;
        } catch (IOException e) {
            return new Result(lines.size() - keepCut(batch.position(), lines.size()), e);
        }
    }

    /**
     * After a failed write that put {@code done} bytes of the batch in the target: keeps the rest of the line it
     * cut, if any; returns how many lines are whole or cut (not lost).
     */
    private int keepCut(int done, int lines) {
        int whole = 0;
        while (whole < lines && ends[whole] <= done) {
            whole++;
        }
        int start = whole == 0 ? 0 : ends[whole - 1];
        if (whole == lines || done == start) {
            return whole;
        }
        owed = ByteBuffer.wrap(Arrays.copyOfRange(batch.array(), done, ends[whole]));
        cutLength = ends[whole] - start;
        return whole + 1;
    }

    private void encode(List<String> lines) {
        batch.clear();
        if (ends.length < lines.size()) {
            ends = new int[Math.max(lines.size(), ends.length * 2)];
        }
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i).getBytes(StandardCharsets.UTF_8);
            if (batch.remaining() < line.length + 1) {
                int size = Math.max(batch.capacity() * 2, batch.position() + line.length + 1);
                batch = ByteBuffer.allocate(size).put(batch.flip());
            }
            batch.put(line).put((byte) '\n');
            ends[i] = batch.position();
        }
        batch.flip();
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (target.write(b) == 0) {
                throw new IOException("the target took no bytes");
            }
        }
    }

    /** True while the target ends with part of a line that a later write is to complete. */
    boolean holdsCutLine() {
        return cutLength > 0 && owed.hasRemaining();
    }

    /**
     * Before the target is let go: a cut line is completed if the target takes it now; otherwise it is truncated
     * away (a file), so the file ends with its last whole line. Returns the lines lost (0 or 1) and the error.
     */
    Result finish() {
        if (!owed.hasRemaining()) {
            return Result.OK;
        }
        try {
            writeFully(owed);
            cutLength = 0;
            return Result.OK;
        } catch (IOException e) {
            if (cutLength == 0) {
                return new Result(0, e); // a newline owed: the next open of this file adds it
            }
            int inTarget = cutLength - owed.remaining();
            cutLength = 0;
            owed = ByteBuffer.allocate(0);
            if (target instanceof SeekableByteChannel file) {
                try {
                    long size = file.size();
                    if (size >= inTarget) {
                        file.truncate(size - inTarget);
                    }
                } catch (IOException ignored) {
                    // the file keeps the cut line; the next open of it starts on a fresh line
                }
            }
            return new Result(1, e);
        }
    }

    @Override
    public void close() throws IOException {
        target.close();
    }
}
