package dev.sluice.session;

import dev.sluice.net.NativeErrors;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One connection's record, from accept to close: what the access log and metrics need. Each stage fills in what
 * it learns. Used only on the connection's event loop (both legs share it), so it needs no locking.
 */
public final class ConnectionRecord {
    /** One try at a proxy (or the destination, for direct). {@code error} is null for the one that worked. */
    public record Attempt(String via, String error, long millis) {
    }

    /**
     * Told what happens to a tunnel, on its event loop (the access log, metrics and the status page listen).
     * Implementations must not block.
     */
    public interface Observer {
        /** Accepted and counted; nothing read yet. */
        default void opened(ConnectionRecord t) {
        }

        /** The whole ClientHello arrived {@code nanos} after the accept. */
        default void helloRead(ConnectionRecord t, long nanos) {
        }

        /** Both legs are joined and bytes flow. */
        default void relaying(ConnectionRecord t) {
        }

        /** {@code n} payload bytes moved, client to server ({@code up}) or back; by splice(2) or copied. */
        default void moved(boolean up, long n, boolean spliced) {
        }

        /** One plain HTTP request on connection {@code t} is complete (its response sent, or refused). */
        default void requested(ConnectionRecord t, RequestRecord r) {
        }

        /** The record is complete (called once). */
        void ended(ConnectionRecord t);
    }

    private final long startMillis = System.currentTimeMillis();
    private final long startNanos = System.nanoTime();
    private final InetSocketAddress client;
    private final String listener;
    private final Observer observer;
    private final List<Attempt> attempts = new ArrayList<>(2);
    private String sni;
    private List<String> alpn = List.of();
    private String dst;
    private String name;
    private String nameFrom;
    private String rule;
    private String action;
    private String upstream;
    private String proxy;
    private String auth;
    private String target;
    private Outcome outcome;
    private String error;
    private String note;
    // written on the event loop, read by the status page: volatile so it sees them move
    private volatile long bytesUp;
    private volatile long bytesDown;
    private volatile boolean relaying;
    private long durationMillis = -1;
    private boolean closing;

    public ConnectionRecord(InetSocketAddress client, String listener, Observer observer) {
        this.client = client;
        this.listener = listener;
        this.observer = observer;
        observer.opened(this);
    }

    /** A record that reports only its end (tests, tools). */
    public static Observer onEnd(Consumer<ConnectionRecord> ended) {
        return ended::accept;
    }

    /**
     * Sets the outcome unless one is already set: the first cause of an end is the one reported. Netty's
     * native-call prefixes are left out of {@code why} ("Connection reset by peer", not "recvAddress(..) failed
     * with error(-104): Connection reset by peer").
     */
    public void fail(Outcome o, String why) {
        if (outcome == null) {
            outcome = o;
            error = NativeErrors.strip(why);
        }
    }

    /** Ends the record once: an unset outcome becomes OK, and the record goes to the access log. */
    public void end() {
        if (durationMillis >= 0) {
            return;
        }
        durationMillis = (System.nanoTime() - startNanos) / 1_000_000;
        if (outcome == null) {
            outcome = Outcome.OK;
        }
        observer.ended(this);
    }

    /** Marks that the gateway itself is closing both legs, so their going inactive is not an error. */
    void closing() {
        closing = true;
    }

    boolean isClosing() {
        return closing;
    }

    public void hello(String sni, List<String> alpn) {
        this.sni = sni;
        this.alpn = alpn;
        observer.helloRead(this, System.nanoTime() - startNanos);
    }

    void relaying() {
        relaying = true;
        observer.relaying(this);
    }

    /** Both legs joined (false while peeking and dialling, and for refused connections). */
    public boolean isRelaying() {
        return relaying;
    }

    /** The server name the connection is routed by, and where it came from: {@code sni} or {@code dns}. */
    public void name(String name, String from) {
        this.name = name;
        this.nameFrom = from;
    }

    public String name() {
        return name;
    }

    public String nameFrom() {
        return nameFrom;
    }

    /** Where the client was going before iptables sent it here, when the listener can know. */
    public void dst(String dst) {
        this.dst = dst;
    }

    public void route(String rule, String action, String upstream, String target) {
        this.rule = rule;
        this.action = action;
        this.upstream = upstream;
        this.target = target;
    }

    public void attempt(String via, String error, long millis) {
        attempts.add(new Attempt(via, error, millis));
        if (error == null) {
            proxy = via;
        }
    }

    /** Something the access log should say beside the outcome. */
    public void note(String note) {
        this.note = note;
    }

    public String note() {
        return note;
    }

    /** The proxy-authentication scheme the tunnel's CONNECT used ({@code negotiate}, {@code ntlm}, {@code basic}). */
    public void auth(String scheme) {
        this.auth = scheme;
    }

    public String auth() {
        return auth;
    }

    void addUp(long n, boolean spliced) {
        bytesUp += n; // one writer (the event loop): no lost update
        observer.moved(true, n, spliced);
    }

    void addDown(long n, boolean spliced) {
        bytesDown += n;
        observer.moved(false, n, spliced);
    }

    /** {@code r} is complete: to the access log and metrics. */
    void requested(RequestRecord r) {
        if (r.end()) {
            observer.requested(this, r);
        }
    }

    /** Bytes read from the client before the tunnel existed (the ClientHello and anything after it). */
    void addHelloBytes(long n) {
        addUp(n, false);
    }

    /** Nanoseconds since the accept (System.nanoTime based). */
    public long ageNanos() {
        return System.nanoTime() - startNanos;
    }

    public long startMillis() {
        return startMillis;
    }

    public InetSocketAddress client() {
        return client;
    }

    public String listener() {
        return listener;
    }

    public String sni() {
        return sni;
    }

    public List<String> alpn() {
        return alpn;
    }

    public String dst() {
        return dst;
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

    public String target() {
        return target;
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

    public List<Attempt> attempts() {
        return attempts;
    }
}
