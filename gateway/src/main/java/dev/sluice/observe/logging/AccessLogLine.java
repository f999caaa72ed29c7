package dev.sluice.observe.logging;

import dev.sluice.net.HostPort;
import dev.sluice.observe.JsonOutput;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.session.RequestRecord;
import java.time.Instant;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import tools.jackson.core.JsonGenerator;

/**
 * The access log's JSON line for one connection (no newline). The fields, their order and their forms are the
 * access log's interface: {@code ts}, {@code client}, {@code listener}, {@code sni}, {@code name} and
 * {@code name_from} (the name routed by, and {@code sni} or {@code dns}: where it came from), {@code alpn} (an array),
 * {@code dst}, {@code rule}, {@code action}, {@code upstream}, {@code proxy}, {@code auth}, {@code target},
 * {@code outcome}, then the numbers {@code bytes_up}, {@code bytes_down}, {@code duration_ms}, then {@code error};
 * each of these present, as {@code null} when unknown. {@code note} and {@code attempts} are left out when there
 * is none. Strings are escaped to ASCII ({@link JsonOutput}), so a line is always one line.
 */
public final class AccessLogLine {
    private AccessLogLine() {
    }

    public static String format(ConnectionRecord t) {
        return JsonOutput.write(g -> write(g, t));
    }

    /**
     * The line for one plain HTTP request {@code r} on connection {@code t}: {@code ts}, {@code client},
     * {@code listener}, then {@code method}, {@code host} and {@code path} (as the client sent them, escaped, the
     * path cut to 256 bytes), {@code rule}, {@code action}, {@code upstream}, {@code proxy}, the {@code status}
     * answered (0 when none), {@code outcome}, {@code bytes_up} and {@code bytes_down} (the bodies),
     * {@code duration_ms}, {@code error}. {@code method} is what tells a request's line from a connection's.
     */
    public static String format(ConnectionRecord t, RequestRecord r) {
        return JsonOutput.write(g -> {
            g.writeStartObject();
            g.writeStringProperty("ts", Instant.ofEpochMilli(r.startMillis()).toString());
            g.writeStringProperty("client", t.client() == null ? null : HostPort.of(t.client()).toString());
            g.writeStringProperty("listener", t.listener());
            g.writeStringProperty("method", r.method());
            g.writeStringProperty("host", r.host());
            g.writeStringProperty("path", r.path());
            g.writeStringProperty("rule", r.rule());
            g.writeStringProperty("action", r.action());
            g.writeStringProperty("upstream", r.upstream());
            g.writeStringProperty("proxy", r.proxy());
            g.writeNumberProperty("status", r.status());
            g.writeStringProperty("outcome", r.outcome() == null ? null : r.outcome().label());
            g.writeNumberProperty("bytes_up", r.bytesUp());
            g.writeNumberProperty("bytes_down", r.bytesDown());
            g.writeNumberProperty("duration_ms", r.durationMillis());
            g.writeStringProperty("error", r.error());
            g.writeEndObject();
        });
    }

    /**
     * Formats a made-up line once, so that the JSON generator's classes are loaded and linked now (at start, off
     * the event loops) and not while the first connection's record ends on one: that took tens of milliseconds on
     * a busy machine and could let a later connection's line overtake the first.
     */
    static void warmUp() {
        ConnectionRecord r = new ConnectionRecord(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1),
                "warm-up", record -> { });
        r.hello("warm-up.invalid\"<\u00e9>\ud800", List.of("h2"));
        r.attempt("127.0.0.1:1", "warm-up", 0);
        r.note("warm-up");
        r.end();
        format(r);
    }

    private static void write(JsonGenerator g, ConnectionRecord t) {
        g.writeStartObject();
        g.writeStringProperty("ts", Instant.ofEpochMilli(t.startMillis()).toString());
        g.writeStringProperty("client", t.client() == null ? null : HostPort.of(t.client()).toString());
        g.writeStringProperty("listener", t.listener());
        g.writeStringProperty("sni", t.sni());
        g.writeStringProperty("name", t.name());
        g.writeStringProperty("name_from", t.nameFrom());
        g.writeArrayPropertyStart("alpn");
        List<String> alpn = t.alpn();
        for (int i = 0; i < alpn.size(); i++) {
            g.writeString(alpn.get(i));
        }
        g.writeEndArray();
        g.writeStringProperty("dst", t.dst());
        g.writeStringProperty("rule", t.rule());
        g.writeStringProperty("action", t.action());
        g.writeStringProperty("upstream", t.upstream());
        g.writeStringProperty("proxy", t.proxy());
        g.writeStringProperty("auth", t.auth());
        g.writeStringProperty("target", t.target());
        g.writeStringProperty("outcome", t.outcome() == null ? null : t.outcome().label());
        g.writeNumberProperty("bytes_up", t.bytesUp());
        g.writeNumberProperty("bytes_down", t.bytesDown());
        g.writeNumberProperty("duration_ms", t.durationMillis());
        g.writeStringProperty("error", t.error());
        if (t.note() != null) {
            g.writeStringProperty("note", t.note());
        }
        List<ConnectionRecord.Attempt> attempts = t.attempts();
        if (!attempts.isEmpty()) {
            g.writeArrayPropertyStart("attempts");
            for (int i = 0; i < attempts.size(); i++) {
                ConnectionRecord.Attempt a = attempts.get(i);
                g.writeStartObject();
                g.writeStringProperty("via", a.via());
                g.writeStringProperty("error", a.error());
                g.writeNumberProperty("ms", a.millis());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }
}
