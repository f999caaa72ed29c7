package dev.sluice.dns;

import dev.sluice.config.DnsPair;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls the peer's name table every {@code dns.pair.interval} ({@code GET PEER/dns/names?since=TOKEN}, see
 * {@link PairText}) and merges it into this box's ({@link SyntheticTable#merge}). Its own thread, blocking HTTP
 * with short timeouts: never an event loop. A peer that stops answering is logged once when it starts failing and
 * once when it answers again, never every interval.
 */
public final class PairPuller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PairPuller.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(3);

    /** How one pull ended. */
    public enum Result {
        /** Pulled and merged. */
        OK,
        /** The peer did not answer, or not with a name table. */
        FAILED,
        /** The peer answered for other synthetic ranges, table size or half: not merged. */
        MISMATCH;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the status page shows: the last good pull (wall-clock ms, 0: none yet) and the problem, if any. */
    public record State(String peer, int half, long lastOkMillis, String problem, long problemSinceMillis) {
    }

    private final DnsPair pair;
    private final SyntheticTable table;
    private final Consumer<Result> counted;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
            .proxy(HttpClient.Builder.NO_PROXY).followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-dns-pair");
        t.setDaemon(true);
        return t;
    });
    private final long started = System.currentTimeMillis();
    private String since = "";
    /** The kind of failure last logged; null while pulls work. */
    private Result failing;
    private volatile State state;

    /** {@code counted}: each pull's result (for the metrics). */
    public PairPuller(DnsPair pair, SyntheticTable table, Consumer<Result> counted) {
        this.pair = pair;
        this.table = table;
        this.counted = counted;
        this.state = new State(pair.url(), pair.half(), 0, "not pulled yet", started);
    }

    /**
     * Pulls once now, on the caller's thread (at start-up, before the DNS listeners open: a name the peer gave
     * out is then answered with the peer's address), then every interval on the puller's own.
     */
    public PairPuller start() {
        LOG.info("dns pair: this box gives out half {} of the synthetic slots; pulling the other half from {} "
                + "every {} ms", pair.half(), pair.url(), pair.interval().toMillis());
        pullOnce();
        long every = pair.interval().toMillis();
        thread.scheduleWithFixedDelay(this::pullOnce, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    public State state() {
        return state;
    }

    /** Seconds since the last good pull (since start while there was none). */
    public double ageSeconds() {
        long last = state.lastOkMillis();
        return (System.currentTimeMillis() - (last == 0 ? started : last)) / 1000.0;
    }

    /** One pull; on the puller's thread (and in tests). */
    synchronized Result pullOnce() {
        Result r;
        try {
            r = pull();
        } catch (IOException e) {
            failed(Result.FAILED, why(e));
            r = Result.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.FAILED;
        } catch (RuntimeException e) {
            failed(Result.FAILED, e.toString());
            r = Result.FAILED;
        }
        counted.accept(r);
        return r;
    }

    private Result pull() throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(pair.url() + "/dns/names?since=" + since))
                .timeout(ANSWER_TIMEOUT).GET().build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (res.statusCode() != 200) {
            String body = res.body().lines().findFirst().orElse("").strip();
            throw new IOException("HTTP " + res.statusCode() + (body.isEmpty() ? "" : ": " + body)
                    + (res.statusCode() == 403 ? " (add this box's address to the peer's admin.clients)" : ""));
        }
        PairText.Pulled p = PairText.read(res.body());
        String mismatch = mismatch(p);
        if (mismatch != null) {
            failed(Result.MISMATCH, mismatch);
            return Result.MISMATCH;
        }
        int changed = table.merge(p.names());
        since = p.next();
        State was = state;
        if (was.lastOkMillis() == 0) {
            LOG.info("dns pair: first pull from {}: {} names, {} taken in", pair.url(), p.names().size(), changed);
        } else if (failing != null) {
            LOG.info("dns pair: synced with {} again after {} s ({} names, {} taken in)", pair.url(),
                    (System.currentTimeMillis() - was.problemSinceMillis()) / 1000, p.names().size(), changed);
        }
        failing = null;
        state = new State(pair.url(), pair.half(), System.currentTimeMillis(), null, 0);
        return Result.OK;
    }

    /** What an operator can act on: refused, timed out, or the HTTP client's words. */
    private static String why(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + ANSWER_TIMEOUT.toSeconds() + " s";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                return (t instanceof ConnectException ? "cannot connect: " : "") + t.getMessage();
            }
        }
        return e instanceof ConnectException ? "cannot connect (connection refused)" : e.getClass().getSimpleName();
    }

    private String mismatch(PairText.Pulled p) {
        if (!p.ranges().equals(table.ranges()) || p.slots() != table.capacity()) {
            return "the peer's synthetic ranges differ (" + p.ranges() + ", " + p.slots() + " slots; here "
                    + table.ranges() + ", " + table.capacity() + " slots): give both boxes the same dns.synthetic "
                    + "and dns.limits.names; not synced";
        }
        if (p.half() == 0) {
            return "the peer is not in a pair (no dns.pair there): it gives out every slot; not synced";
        }
        if (p.half() != 3 - pair.half()) {
            return "the peer gives out half " + p.half() + " and this box half " + pair.half() + ": set "
                    + "dns.pair.half 1 on one box and 2 on the other; not synced";
        }
        return null;
    }

    /** Logged when it starts failing (or fails another way), then only counted. */
    private void failed(Result kind, String why) {
        if (failing != kind) {
            LOG.warn("dns pair: cannot sync the name table with {}: {} (retrying every {} ms; logged again when it "
                    + "works)", pair.url(), why, pair.interval().toMillis());
            failing = kind;
        }
        State was = state;
        long from = was.problem() == null ? System.currentTimeMillis() : was.problemSinceMillis();
        state = new State(pair.url(), pair.half(), was.lastOkMillis(), kind.label() + ": " + why, from);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(ANSWER_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
