package dev.sluice.relay;



/**
 * The end-of-stream rules of one tunnel, apart from any socket: fed what happens to its two directions (bytes
 * moved, a FIN, a spliced round, a leg gone or failed, the idle timeout), it answers what to do to each leg and,
 * the first time the tunnel does not end in order, why ({@link Verdict}). Used on the tunnel's event loop only.
 *
 * <p>The rules:
 * <ul>
 * <li>A FIN on one leg becomes a half-close of the other; when both directions have ended, both legs close after
 *     what is queued is flushed: the ordered end.</li>
 * <li>A spliced direction's FIN is only an announcement (Netty reports it while data may still wait in the socket):
 *     the direction ends after a round that moved nothing with the pipe to the peer empty.</li>
 * <li>A leg that goes away (or fails) before its own FIN is a reset, passed on to the other leg as one.</li>
 * <li>A leg that goes away after its FIN while more than {@link #CLOSE_ALERTS} bytes had been sent to it since is
 *     a lost leg (a reset too); up to that many is the orderly end of TLS (a close_notify answered with a reset),
 *     noted but not an error. Either way, the other leg gets what is queued for it, then a close.</li>
 * <li>The idle timeout closes both legs.</li>
 * <li>Once the relay closes both legs itself, their going away is no news; the first cause is the one reported.</li>
 * </ul>
 */
final class EndOfStream {
    /**
     * What a leg may leave unread after its own FIN and still have ended in order: a TLS close_notify or two
     * (24-31 bytes each). A server that sends close_notify, FIN and closes meets the client's close_notify with a
     * reset; that is the normal end of HTTPS, not a cut tunnel.
     */
    static final long CLOSE_ALERTS = 64;

    /** What to do to a leg. */
    enum Act {
        NOTHING,
        /** Stop reading it (its end of stream stays readable: no polling while the rest is decided). */
        STOP_READING,
        /** Flush what is queued for it, then read the other leg again (to look for the end once more). */
        FLUSH_THEN_READ_OTHER,
        /** Flush what is queued for it, then end its output (FIN, after a close_notify on a TLS leg). */
        HALF_CLOSE,
        /** Flush what is queued for it, then close it. */
        CLOSE_AFTER_FLUSH,
        /** Close it now. */
        CLOSE,
        /** Close it with a TCP reset. */
        RESET
    }

    /**
     * The answer to one event. {@code self} is the leg the event's direction reads from, {@code peer} the one it
     * writes to; {@code failed} is set only the first time the tunnel is judged not to end in order.
     */
    record Decision(Act self, Act peer, Verdict failed, String note) {
        static final Decision NONE = new Decision(Act.NOTHING, Act.NOTHING, null, null);
    }

    private final long[] moved = new long[2]; // per direction
    private final boolean[] ended = new boolean[2]; // per direction: its end of stream passed on
    private final long[] intoAtEnd = new long[2]; // per direction: bytes moved into the leg it reads, at its end
    private final boolean[] finPending = new boolean[2]; // per spliced direction: FIN seen, the rest still moving
    private boolean closing;
    private boolean failed;

    void moved(Direction d, long n) {
        moved[d.ordinal()] += n;
    }

    /** The leg that {@code d} reads sent its FIN. */
    Decision fin(Direction d, boolean splicing) {
        if (splicing) {
            finPending[d.ordinal()] = true; // data may still wait in the socket: a later round decides
            return Decision.NONE;
        }
        return end(d, Act.NOTHING);
    }

    /**
     * A read round of spliced direction {@code d} moved {@code n} bytes; {@code pipeEmpty}: nothing it spliced
     * waits in the pipe or in the peer's write queue.
     */
    Decision splicedRound(Direction d, long n, boolean pipeEmpty) {
        if (n > 0) {
            moved(d, n);
            return Decision.NONE;
        }
        if (!finPending[d.ordinal()] || ended[d.ordinal()]) {
            return Decision.NONE;
        }
        if (!pipeEmpty) {
            return new Decision(Act.STOP_READING, Act.FLUSH_THEN_READ_OTHER, null, null);
        }
        return end(d, Act.STOP_READING);
    }

    private Decision end(Direction d, Act self) {
        ended[d.ordinal()] = true;
        intoAtEnd[d.ordinal()] = moved[d.opposite().ordinal()];
        if (ended[d.opposite().ordinal()]) {
            closing = true;
            return new Decision(Act.CLOSE_AFTER_FLUSH, Act.CLOSE_AFTER_FLUSH, null, null);
        }
        return new Decision(self, Act.HALF_CLOSE, null, null);
    }

    /** The leg that {@code d} reads went away, closed by someone other than the relay. */
    Decision lost(Direction d) {
        if (closing) {
            return Decision.NONE;
        }
        closing = true;
        if (!ended[d.ordinal()]) {
            return new Decision(Act.NOTHING, Act.RESET, fail(Verdict.Kind.RESET,
                    d.from() + " closed the connection abruptly"), null);
        }
        String note = orderlyEndNote(d);
        if (note == null) {
            return new Decision(Act.NOTHING, Act.CLOSE_AFTER_FLUSH, fail(Verdict.Kind.RESET,
                    d.from() + " connection lost while " + d.to() + " data was still going to it"), null);
        }
        return new Decision(Act.NOTHING, Act.CLOSE_AFTER_FLUSH, null, note.isEmpty() ? null : note);
    }

    /** The leg that {@code d} reads failed ({@code message}: the error, without Netty's native-call prefix or not). */
    Decision failed(Direction d, String message) {
        closing = true;
        boolean wasEnded = ended[d.ordinal()];
        String note = wasEnded ? orderlyEndNote(d) : null;
        Verdict v = note == null ? fail(Verdict.Kind.RESET, d.from() + ": " + message) : null;
        return new Decision(Act.CLOSE, wasEnded ? Act.CLOSE_AFTER_FLUSH : Act.RESET, v,
                note == null || note.isEmpty() ? null : note);
    }

    /** No byte either way for {@code millis}. */
    Decision idle(long millis) {
        closing = true;
        return new Decision(Act.CLOSE, Act.CLOSE, fail(Verdict.Kind.IDLE_TIMEOUT,
                "no data in either direction for " + millis + " ms"), null);
    }

    /** The relay closes both legs itself, with no verdict (a leg was gone before the relay was in place). */
    Decision abandon() {
        closing = true;
        return new Decision(Act.CLOSE, Act.CLOSE, null, null);
    }

    /** {@code d}'s FIN was seen (whether or not its end was passed on yet). */
    boolean finSeen(Direction d) {
        return finPending[d.ordinal()] || ended[d.ordinal()];
    }

    boolean closing() {
        return closing;
    }

    /**
     * Null when the leg {@code d} reads did not end in order: it had not sent its FIN, or more than
     * {@link #CLOSE_ALERTS} bytes were sent to it since. Otherwise the note the access log gets ("" for none).
     */
    private String orderlyEndNote(Direction d) {
        long after = moved[d.opposite().ordinal()] - intoAtEnd[d.ordinal()];
        if (!ended[d.ordinal()] || after > CLOSE_ALERTS) {
            return null;
        }
        return after == 0 ? "" : d.from() + " closed after its end of stream; the last " + after
                + " bytes for it (such as a TLS close_notify) were not delivered";
    }

    private Verdict fail(Verdict.Kind kind, String error) {
        if (failed) {
            return null;
        }
        failed = true;
        return new Verdict(kind, error);
    }
}
