package dev.sluice.session;

import dev.sluice.config.Printable;
import dev.sluice.inbound.RequestTarget;
import dev.sluice.policy.Decision;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;

/**
 * One plain HTTP request's record, for its access-log line and metrics: what was asked (method, host, path, the
 * latter two as the client sent them but escaped and cut), where it went, the status answered and how it ended.
 * Used on the connection's event loop only.
 */
public final class RequestRecord {
    /** The longest path shown in a log line. */
    static final int MAX_PATH = 256;

    private final long startMillis = System.currentTimeMillis();
    private final long startNanos = System.nanoTime();
    private final String method;
    private final String host;
    private final String path;
    private String rule;
    private String action;
    private String upstream;
    private String proxy;
    private int status;
    private Outcome outcome;
    private String error;
    private long bytesUp;
    private long bytesDown;
    private long durationMillis = -1;

    /** {@code method}, {@code host}, {@code path}: already made printable (attacker-controlled). */
    public RequestRecord(String method, String host, String path) {
        this.method = method;
        this.host = host;
        this.path = path;
    }

    /**
     * The record of {@code req}: its method and target escaped (the path cut to {@value #MAX_PATH} bytes), the host
     * it was routed by, or, when none could be read, its {@code Host} field escaped.
     */
    static RequestRecord of(HttpRequest req, String host) {
        byte[] p = req.uri().getBytes(StandardCharsets.UTF_8);
        String field = req.headers().get(HttpHeaderNames.HOST);
        return new RequestRecord(RequestTarget.method(req.method().name()), host != null ? host
                : field == null ? null : RequestTarget.shown(field), Printable.of(p, 0, p.length, MAX_PATH));
    }

    /** Where the request went: decision {@code d}'s rule, action and upstream. */
    void route(Decision d) {
        this.rule = d.rule() == null ? null : d.ruleName();
        this.action = d.action().label();
        this.upstream = d.upstream();
    }

    void proxy(String proxy) {
        this.proxy = proxy;
    }

    void status(int status) {
        this.status = status;
    }

    /** The first cause of an end is the one reported. */
    void fail(Outcome o, String why) {
        if (outcome == null) {
            outcome = o;
            error = why;
        }
    }

    void up(long n) {
        bytesUp += n;
    }

    void down(long n) {
        bytesDown += n;
    }

    /** Ends it once; false if it had ended already. */
    boolean end() {
        if (durationMillis >= 0) {
            return false;
        }
        durationMillis = (System.nanoTime() - startNanos) / 1_000_000;
        if (outcome == null) {
            outcome = Outcome.OK;
        }
        return true;
    }

    public long startMillis() {
        return startMillis;
    }

    public String method() {
        return method;
    }

    public String host() {
        return host;
    }

    public String path() {
        return path;
    }

    public String rule() {
        return rule;
    }

    public String action() {
        return action;
    }

    public String upstream() {
        return upstream;
    }

    public String proxy() {
        return proxy;
    }

    /** The status answered to the client; 0 when none was. */
    public int status() {
        return status;
    }

    public Outcome outcome() {
        return outcome;
    }

    public String error() {
        return error;
    }

    public long bytesUp() {
        return bytesUp;
    }

    public long bytesDown() {
        return bytesDown;
    }

    public long durationMillis() {
        return durationMillis;
    }
}
