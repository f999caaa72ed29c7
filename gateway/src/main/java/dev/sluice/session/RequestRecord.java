package dev.sluice.session;

/**
 * One plain HTTP request's record, for its access-log line and metrics: what was asked (method, host, path, the
 * latter two as the client sent them but escaped and cut), where it went, the status answered and how it ended.
 * Used on the connection's event loop only.
 */
public final class RequestRecord {
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

    void route(String rule, String action, String upstream) {
        this.rule = rule;
        this.action = action;
        this.upstream = upstream;
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
