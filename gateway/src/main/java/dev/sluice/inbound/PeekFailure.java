package dev.sluice.inbound;



/** Why a connection produced no usable ClientHello. */
public enum PeekFailure {
    /** The first bytes are not a TLS handshake record (plain HTTP, SSH, SSLv2...). */
    NOT_TLS,
    /** TLS records, but not a well-formed ClientHello. */
    MALFORMED,
    /** No complete ClientHello within the size limit. */
    TOO_LARGE,
    /** No complete ClientHello within {@code timeouts.client_hello}. */
    TIMEOUT,
    /** The client closed the connection before the ClientHello was complete. */
    CLOSED,
    /** The connection failed (reset) before the ClientHello was complete. */
    RESET
}
