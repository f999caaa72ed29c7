package dev.sluice.upstream;

/** Why no upstream leg could be opened: {@code proxyAnswered} tells a proxy error from a connect error. */
public final class DialException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of failure the last attempt was. */
    public enum Kind {
        /** No TCP connection (refused, unreachable, timed out, name not resolved). */
        CONNECT,
        /** The proxy accepted the connection but did not open the tunnel (status, silence, garbage). */
        PROXY,
        /** The proxy refused the destination by its policy (403): final, not a fault. */
        DENIED,
        /** The gateway itself would not dial the address: its own services (see the caller's refusal). */
        REFUSED
    }

    private final Kind kind;

    public DialException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
