package dev.sluice.upstream;



/** Why no upstream leg could be opened: the most telling attempt's failure (see {@link AttemptFailure}). */
public final class DialException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of failure it was. */
    public enum Kind {
        /** No TCP (or TLS) connection (refused, unreachable, timed out, name not resolved, TLS failed). */
        CONNECT,
        /** The proxy accepted the connection but did not open the tunnel (an error status, silence, garbage). */
        PROXY,
        /** The proxy refused the destination by its policy (403): final, not a fault. */
        DENIED,
        /** The proxy did not accept our credentials, or none we have fit (407 to our last leg): final. */
        AUTH,
        /** The gateway itself would not dial the address: its own services (see the caller's refusal). */
        REFUSED,
        /** The gateway's own limits (out of file descriptors): never the proxy's fault. */
        LOCAL
    }

    private final Kind kind;
    private final transient AttemptFailure failure;

    public DialException(Kind kind, String message) {
        this(kind, message, null);
    }

    DialException(Kind kind, String message, AttemptFailure failure) {
        super(message, null, false, false);
        this.kind = kind;
        this.failure = failure;
    }

    public Kind kind() {
        return kind;
    }

    /** The attempt this is about, or null (direct dials). */
    public AttemptFailure failure() {
        return failure;
    }
}
