package dev.sluice.dns;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The name table on disk, {@code STATE_DIR/dns-names}: a header naming the ranges, then one line per name,
 * {@code SLOT EXPIRES_MILLIS NAME}, least recently answered first. Written to a temporary file, synced, then
 * renamed over the old one (and the directory synced), so a crash leaves the old file or the new one, never half
 * of either. A file for other ranges, or one that does not parse, is not used (the caller says why).
 */
public final class TableFile {
    static final String FILE = "dns-names";
    private static final String MAGIC = "sluice-dns-names 1 ";

    private final Path dir;

    public TableFile(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir.resolve(FILE);
    }

    /** What the file holds for {@code ranges}; empty when there is no file. */
    public List<SyntheticTable.Saved> read(String ranges) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(path(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        if (lines.isEmpty() || !lines.get(0).startsWith(MAGIC)) {
            throw new IOException(path() + ":1: not a Sluice name table");
        }
        String had = lines.get(0).substring(MAGIC.length());
        if (!had.equals(ranges)) {
            throw new IOException(path() + ":1: kept for other synthetic ranges (" + had + "), not " + ranges);
        }
        return readNames(lines, path() + ":");
    }

    /**
     * The name lines that follow a header (line 1), here and in a pair's answer ({@link PairText}):
     * {@code SLOT EXPIRES_MILLIS NAME}. A line that is not one is an IOException starting with {@code where} and
     * its line number.
     */
    static List<SyntheticTable.Saved> readNames(List<String> lines, String where) throws IOException {
        List<SyntheticTable.Saved> out = new ArrayList<>(lines.size());
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(" ", 3);
            try {
                if (f.length != 3 || !f[2].matches("[a-z0-9_.-]{1,253}")) {
                    throw new NumberFormatException();
                }
                out.add(new SyntheticTable.Saved(Integer.parseInt(f[0]), f[2], Long.parseLong(f[1])));
            } catch (NumberFormatException e) {
                throw new IOException(where + (i + 1) + ": not SLOT EXPIRES NAME");
            }
        }
        return out;
    }

    /** Appends {@code names} as the lines {@link #readNames} reads. */
    static StringBuilder appendNames(StringBuilder b, List<SyntheticTable.Saved> names) {
        for (SyntheticTable.Saved s : names) {
            b.append(s.slot()).append(' ').append(s.expiresMillis()).append(' ').append(s.name()).append('\n');
        }
        return b;
    }

    /** Replaces the file with {@code names}, atomically. */
    public void write(String ranges, List<SyntheticTable.Saved> names) throws IOException {
        StringBuilder b = appendNames(new StringBuilder(names.size() * 40 + 64).append(MAGIC).append(ranges)
                .append('\n'), names);
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
