package dev.sluice.dns;

import dev.sluice.config.Printable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;

/**
 * What one box of a pair tells the other of its name table ({@code GET /dns/names?since=TOKEN} on the admin
 * listener), as text. A header line, then the table file's lines, one a name:
 * <pre>
 * sluice-dns-pair 1 ipv4=198.18.0.0/15 ipv6=fdec:5c::/96 slots=65536 half=1 next=5f3a9c01e2b4d6f8.4711 changes
 * 2 1796300000000 github.com
 * </pre>
 * {@code next} is what to ask with next time: the names changed after it. {@code full} instead of {@code changes}
 * means every name: for a first question, and for a token of another run (the box restarted) or from the future.
 * Pure: no I/O.
 */
public final class PairText {
    static final String MAGIC = "sluice-dns-pair 1 ";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One answer, read. {@code ranges} as {@link SyntheticTable#ranges()}; {@code half} 0 when not in a pair. */
    public record Pulled(String ranges, int slots, int half, String next, boolean full,
                         List<SyntheticTable.Saved> names) {
    }

    private final SyntheticTable table;
    /** This run's: a token from another run is not a version of this table. */
    private final String epoch = Long.toHexString(RANDOM.nextLong() | Long.MIN_VALUE);

    public PairText(SyntheticTable table) {
        this.table = table;
    }

    /** The answer to {@code since} (null or anything: every name). */
    public String answer(String since) {
        long from = 0;
        if (since != null && since.startsWith(epoch + ".")) {
            try {
                from = Long.parseLong(since.substring(epoch.length() + 1));
            } catch (NumberFormatException e) {
                from = 0;
            }
        }
        SyntheticTable.Changes c = table.changedSince(from);
        boolean full = from <= 0 || from > c.version();
        if (full && from != 0) {
            c = table.changedSince(0);
        }
        StringBuilder b = new StringBuilder(64 + c.names().size() * 40);
        b.append(MAGIC).append(table.ranges()).append(" slots=").append(table.capacity()).append(" half=")
                .append(table.half()).append(" next=").append(epoch).append('.').append(c.version())
                .append(full ? " full" : " changes").append('\n');
        return TableFile.appendNames(b, c.names()).toString();
    }

    /** Reads an answer; IOException (naming the line) when it is not one. */
    public static Pulled read(String text) throws IOException {
        List<String> lines = text.lines().toList();
        if (lines.isEmpty() || !lines.get(0).startsWith(MAGIC)) {
            throw new IOException("not a Sluice name table answer: '" + first(lines) + "'");
        }
        String[] h = lines.get(0).substring(MAGIC.length()).split(" ");
        if (h.length != 6 || !h[0].startsWith("ipv4=") || !h[1].startsWith("ipv6=") || !h[2].startsWith("slots=")
                || !h[3].startsWith("half=") || !h[4].startsWith("next=")
                || !(h[5].equals("full") || h[5].equals("changes"))) {
            throw new IOException("line 1: not IPV4 IPV6 slots=N half=H next=TOKEN full|changes");
        }
        int slots;
        int half;
        try {
            slots = Integer.parseInt(h[2].substring(6));
            half = Integer.parseInt(h[3].substring(5));
        } catch (NumberFormatException e) {
            throw new IOException("line 1: slots and half are numbers");
        }
        return new Pulled(h[0] + " " + h[1], slots, half, h[4].substring(5), h[5].equals("full"),
                TableFile.readNames(lines, "line "));
    }

    private static String first(List<String> lines) {
        byte[] s = (lines.isEmpty() ? "" : lines.get(0)).getBytes(StandardCharsets.UTF_8);
        return Printable.of(s, 0, s.length, 60);
    }
}
