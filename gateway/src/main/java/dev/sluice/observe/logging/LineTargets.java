package dev.sluice.observe.logging;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens what the access log writes to: a file (appended to) or the process's stdout or stderr. */
final class LineTargets {
    private LineTargets() {
    }

    /**
     * The file, created if absent and appended to (O_APPEND), with no buffer between the writer and write(2). If
     * it ends with part of a line (a crash cut it), the first line written goes on a fresh line.
     */
    static LineWriter file(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        try {
            return new LineWriter(channel, endsMidLine(path, channel.size()));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static boolean endsMidLine(Path path, long size) {
        if (size == 0) {
            return false;
        }
        try (FileChannel read = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            return read.read(last, size - 1) == 1 && last.get(0) != '\n';
        } catch (IOException e) {
            return false; // a file we may append to but not read: nothing to learn, nothing to fix
        }
    }

    /**
     * stdout or stderr: each batch goes out in one write under the stream's lock, so it never interleaves with the
     * gateway's own log lines on the same stream. The stream swallows errors (a closed pipe), as it always has.
     */
    static LineWriter stream(PrintStream stream) {
        return new LineWriter(new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                stream.write(src.array(), src.arrayOffset() + src.position(), n);
                stream.flush();
                src.position(src.position() + n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
                stream.flush();
            }
        }, false);
    }
}
