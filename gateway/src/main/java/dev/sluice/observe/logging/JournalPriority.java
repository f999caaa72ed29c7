package dev.sluice.observe.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * {@code %journal} in the log pattern. Under systemd (it sets {@code JOURNAL_STREAM} when stdout or stderr goes
 * to the journal): a syslog priority prefix such as {@code <4>}, which journald turns into the entry's priority
 * (so {@code journalctl -p warning} works), and no timestamp, since the journal stamps each line itself; nothing
 * else, since journald takes only the prefix off and the line would start with a blank. Elsewhere: the local date
 * and time, and a blank. {@code -Dsluice.log.journal=false} forces the second form.
 */
public final class JournalPriority extends ClassicConverter {
    private static final boolean JOURNAL = System.getenv("JOURNAL_STREAM") != null
            && !"false".equals(System.getProperty("sluice.log.journal"));
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    /** A line that is not logged (check's errors, on stderr) as an error: {@code <3>} first under the journal. */
    public static String errorLine(String text) {
        return JOURNAL ? "<3>" + text : text;
    }

    /** A line that is not logged (check's warnings) as a warning: {@code <4>} first under the journal. */
    public static String warningLine(String text) {
        return JOURNAL ? "<4>" + text : text;
    }

    @Override
    public String convert(ILoggingEvent e) {
        if (!JOURNAL) {
            return TIME.format(Instant.ofEpochMilli(e.getTimeStamp())) + " ";
        }
        return switch (e.getLevel().toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }
}
