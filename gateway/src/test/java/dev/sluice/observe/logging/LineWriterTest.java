package dev.sluice.observe.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole lines only, on a disk that fills up part-way through a line and later has space again. */
class LineWriterTest {
    @TempDir
    Path dir;

    /**
     * A file on a disk with room for {@code free} more bytes: a write that does not fit writes what fits (a short
     * write, as write(2) does), and the next one fails with ENOSPC's message.
     */
    static final class Disk implements SeekableByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long free;

        Disk(long free) {
            this.free = free;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (free == 0) {
                throw new IOException("No space left on device");
            }
            int n = (int) Math.min(src.remaining(), free);
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            free -= n;
            return n;
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        @Override
        public long size() {
            return bytes.size();
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            byte[] kept = Arrays.copyOf(bytes.toByteArray(), (int) size);
            free += bytes.size() - size;
            bytes.reset();
            bytes.write(kept, 0, kept.length);
            return this;
        }

        @Override
        public int read(ByteBuffer dst) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long position() {
            return bytes.size();
        }

        @Override
        public SeekableByteChannel position(long p) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** Lines of 20 bytes with their newline: {"n":001,"x":"   "}. */
    private static List<String> lines(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> String.format("{\"n\":%03d,\"x\":\"%3s\"}", i, "")).toList();
    }

    private static void assertWholeLines(String text) {
        assertThat(text).endsWith("\n");
        assertThat(text.split("\n", -1)).as("every line one whole JSON object of ours")
                .allMatch(l -> l.isEmpty() || l.matches("\\{\"n\":\\d{3},\"x\":\" {3}\"}"));
    }

    @Test
    void aDiskThatFillsMidLineGetsThatLineCompletedWhenSpaceReturnsAndLosesTheRestWhole() {
        Disk disk = new Disk(50); // two whole lines and 10 bytes of the third
        LineWriter w = new LineWriter(disk, false);

        LineWriter.Result full = w.write(lines(0, 5));
        assertThat(full.lost()).as("the two after the cut one").isEqualTo(2);
        assertThat(full.error()).hasMessage("No space left on device");
        assertThat(disk.text()).isEqualTo(lines(0, 2).get(0) + "\n" + lines(0, 2).get(1) + "\n"
                + lines(2, 3).get(0).substring(0, 10));
        assertThat(w.holdsCutLine()).isTrue();

        LineWriter.Result stillFull = w.write(lines(5, 8));
        assertThat(stillFull.lost()).isEqualTo(3);
        assertThat(disk.size()).as("nothing more written").isEqualTo(50);

        disk.free = 1000;
        assertThat(w.write(lines(8, 10))).isEqualTo(LineWriter.Result.OK);
        assertWholeLines(disk.text());
        assertThat(disk.text().lines()).containsExactly(lines(0, 3).get(0), lines(0, 3).get(1), lines(0, 3).get(2),
                lines(8, 10).get(0), lines(8, 10).get(1));
        assertThat(w.holdsCutLine()).isFalse();
    }

    @Test
    void spaceForOnlyPartOfTheCutLinesRestKeepsItCutUntilTheRestFits() {
        Disk disk = new Disk(25);
        LineWriter w = new LineWriter(disk, false);
        assertThat(w.write(lines(0, 3)).lost()).isEqualTo(1); // line 1 cut after 5 bytes, line 2 lost
        disk.free = 7; // 7 of the 15 missing bytes
        assertThat(w.write(lines(3, 4)).lost()).isEqualTo(1);
        assertThat(disk.text()).isEqualTo(lines(0, 1).get(0) + "\n" + lines(1, 2).get(0).substring(0, 12));
        disk.free = 1000;
        assertThat(w.write(lines(4, 5))).isEqualTo(LineWriter.Result.OK);
        assertThat(disk.text().lines()).containsExactly(lines(0, 2).get(0), lines(0, 2).get(1), lines(4, 5).get(0));
    }

    @Test
    void aDiskThatFillsExactlyAtTheEndOfALineCutsNothing() {
        Disk disk = new Disk(40);
        LineWriter w = new LineWriter(disk, false);
        assertThat(w.write(lines(0, 4)).lost()).isEqualTo(2);
        assertThat(w.holdsCutLine()).isFalse();
        disk.free = 1000;
        assertThat(w.write(lines(4, 5))).isEqualTo(LineWriter.Result.OK);
        assertThat(disk.text().lines()).containsExactly(lines(0, 2).get(0), lines(0, 2).get(1), lines(4, 5).get(0));
    }

    @Test
    void lettingGoOfAFileWhileItIsStillFullTakesTheCutLineBackOff() {
        Disk disk = new Disk(50);
        LineWriter w = new LineWriter(disk, false);
        w.write(lines(0, 5));
        LineWriter.Result r = w.finish();
        assertThat(r.lost()).as("the cut line").isEqualTo(1);
        assertThat(r.error()).hasMessage("No space left on device");
        assertThat(disk.text()).as("the file ends with its last whole line")
                .isEqualTo(lines(0, 2).get(0) + "\n" + lines(0, 2).get(1) + "\n");
    }

    @Test
    void lettingGoOfAFileWithSpaceAgainCompletesTheCutLine() {
        Disk disk = new Disk(50);
        LineWriter w = new LineWriter(disk, false);
        w.write(lines(0, 5));
        disk.free = 100;
        assertThat(w.finish()).isEqualTo(LineWriter.Result.OK);
        assertThat(disk.text().lines()).containsExactlyElementsOf(lines(0, 3));
    }

    @Test
    void aFileThatACrashLeftEndingMidLineGetsANewlineBeforeTheFirstLine() throws Exception {
        Path file = dir.resolve("access.log");
        Files.writeString(file, "{\"n\":001,\"x\":\"   \"}\n{\"n\":002,\"x");
        try (LineWriter w = LineTargets.file(file)) {
            assertThat(w.write(lines(3, 4))).isEqualTo(LineWriter.Result.OK);
        }
        assertThat(Files.readAllLines(file)).containsExactly("{\"n\":001,\"x\":\"   \"}", "{\"n\":002,\"x",
                lines(3, 4).get(0));
        try (LineWriter w = LineTargets.file(file)) {
            w.write(lines(4, 5));
        }
        assertThat(Files.readAllLines(file)).as("a file that ends with a newline gets none").hasSize(4);
    }

    @Test
    void linesAreWrittenAsUtf8WithOneNewlineEach() throws Exception {
        Path file = dir.resolve("access.log");
        try (LineWriter w = LineTargets.file(file)) {
            assertThat(w.write(List.of("{\"sni\":\"bücher.example\"}", "{}"))).isEqualTo(LineWriter.Result.OK);
        }
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo("{\"sni\":\"bücher.example\"}\n{}\n");
    }

    @Test
    void aBatchLargerThanTheBufferIsWrittenWhole() {
        Disk disk = new Disk(1 << 24);
        LineWriter w = new LineWriter(disk, false);
        String big = "{\"x\":\"" + "a".repeat(100_000) + "\"}";
        assertThat(w.write(List.of(big, big, "{}"))).isEqualTo(LineWriter.Result.OK);
        assertThat(disk.text().lines()).containsExactly(big, big, "{}");
    }
}
