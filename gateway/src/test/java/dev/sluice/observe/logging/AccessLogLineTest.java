package dev.sluice.observe.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.session.ConnectionRecord;
import dev.sluice.session.Outcome;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The access log's line: its fields in their order, and attacker-controlled text kept on one safe ASCII line. */
class AccessLogLineTest {
    /** Control characters, quotes, a backslash, markup, non-ASCII, a lone surrogate, a pair, U+2028. */
    static final String HOSTILE = "a\u0000\"\\\n\r\t\b\f\u001b<b>&é日\ud800x\udc00\ud83d\ude00\u007f\u2028/";
    static final String ESCAPED = "a\\u0000\\\"\\\\\\n\\r\\t\\u0008\\u000c\\u001b\\u003cb\\u003e\\u0026\\u00e9\\u65e5"
            + "\\ud800x\\udc00\\ud83d\\ude00\\u007f\\u2028/";

    @Test
    void aTunnelThroughAProxyHasEveryFieldInItsPlace() {
        ConnectionRecord t = new ConnectionRecord(new InetSocketAddress("10.1.2.3", 40000), "https",
                ConnectionRecord.onEnd(r -> { }));
        t.hello("api.github.com", List.of("h2", "http/1.1"));
        t.dst("140.82.121.4:443");
        t.name("api.github.com", "sni");
        t.route("github", "splice", "corp", "api.github.com:443");
        t.attempt("http://proxy2.corp:3128", "connect timed out", 3000);
        t.attempt("http://proxy1.corp:3128", null, 12);
        t.auth("negotiate");
        t.end();

        assertThat(AccessLogLine.format(t)).isEqualTo("{\"ts\":\"" + ts(t) + "\",\"client\":\"10.1.2.3:40000\","
                + "\"listener\":\"https\",\"sni\":\"api.github.com\",\"name\":\"api.github.com\",\"name_from\":\"sni\",\"alpn\":[\"h2\",\"http/1.1\"],"
                + "\"dst\":\"140.82.121.4:443\",\"rule\":\"github\",\"action\":\"splice\",\"upstream\":\"corp\","
                + "\"proxy\":\"http://proxy1.corp:3128\",\"auth\":\"negotiate\",\"target\":\"api.github.com:443\","
                + "\"outcome\":\"ok\",\"bytes_up\":0,\"bytes_down\":0,\"duration_ms\":" + t.durationMillis()
                + ",\"error\":null,\"attempts\":[{\"via\":\"http://proxy2.corp:3128\",\"error\":\"connect timed out\","
                + "\"ms\":3000},{\"via\":\"http://proxy1.corp:3128\",\"error\":null,\"ms\":12}]}");
    }

    @Test
    void aRefusedConnectionWritesNullsAndLeavesOutNoteAndAttempts() {
        ConnectionRecord t = new ConnectionRecord(new InetSocketAddress("2001:db8::1", 50000), "https",
                ConnectionRecord.onEnd(r -> { }));
        t.hello(null, List.of());
        t.fail(Outcome.REJECTED, "no rule matches");
        t.end();

        assertThat(AccessLogLine.format(t)).isEqualTo("{\"ts\":\"" + ts(t) + "\","
                + "\"client\":\"[2001:db8::1]:50000\",\"listener\":\"https\",\"sni\":null,\"name\":null,\"name_from\":null,\"alpn\":[],"
                + "\"dst\":null,\"rule\":null,\"action\":null,\"upstream\":null,\"proxy\":null,\"auth\":null,"
                + "\"target\":null,\"outcome\":\"rejected\",\"bytes_up\":0,\"bytes_down\":0,\"duration_ms\":"
                + t.durationMillis() + ",\"error\":\"no rule matches\"}");
    }

    @Test
    void hostileTextStaysEscapedOnOneAsciiLine() {
        ConnectionRecord t = new ConnectionRecord(null, "https", ConnectionRecord.onEnd(r -> { }));
        t.hello(HOSTILE, List.of(HOSTILE));
        t.name(HOSTILE, "sni");
        t.note(HOSTILE);
        t.attempt(HOSTILE, HOSTILE, 7);
        t.fail(Outcome.BAD_HELLO, HOSTILE);
        t.end();

        String line = AccessLogLine.format(t);

        assertThat(line).isEqualTo("{\"ts\":\"" + ts(t) + "\",\"client\":null,\"listener\":\"https\","
                + "\"sni\":\"" + ESCAPED + "\",\"name\":\"" + ESCAPED + "\",\"name_from\":\"sni\",\"alpn\":[\"" + ESCAPED + "\"],\"dst\":null,\"rule\":null,"
                + "\"action\":null,\"upstream\":null,\"proxy\":null,\"auth\":null,\"target\":null,"
                + "\"outcome\":\"bad_hello\",\"bytes_up\":0,\"bytes_down\":0,\"duration_ms\":" + t.durationMillis()
                + ",\"error\":\"" + ESCAPED + "\",\"note\":\"" + ESCAPED + "\",\"attempts\":[{\"via\":\"" + ESCAPED
                + "\",\"error\":\"" + ESCAPED + "\",\"ms\":7}]}");
        assertThat(line.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static String ts(ConnectionRecord t) {
        return Instant.ofEpochMilli(t.startMillis()).toString();
    }
}
