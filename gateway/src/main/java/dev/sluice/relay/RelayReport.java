package dev.sluice.relay;



/**
 * What the relay tells its owner about one tunnel, on the tunnel's event loop: the relay knows nothing of the
 * connection's record, its owner adapts this onto it. Implementations must not block.
 */
public interface RelayReport {
    /** Both legs are joined; {@code prefixBytes} read from the client before (its ClientHello) go upstream first. */
    void joined(long prefixBytes);

    /** {@code n} payload bytes moved in {@code direction}, by splice(2) or copied. */
    void moved(Direction direction, long n, boolean spliced);

    /** The tunnel did not end in order; called at most once, with the first cause. */
    void failed(Verdict verdict);

    /** Something the access log should say beside the outcome. */
    void note(String note);

    /** The owner is closing both legs itself (a shutdown): their going away is not the relay's to judge. */
    boolean closedByOwner();
}
