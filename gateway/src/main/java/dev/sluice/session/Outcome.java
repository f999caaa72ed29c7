package dev.sluice.session;

import java.util.Locale;

/** How a connection ended, as written in the access log. */
public enum Outcome {
    /** Tunnel set up and both directions finished normally. */
    OK,
    /** A rule (or no rule) rejected it, or it could not be routed. */
    REJECTED,
    /** The client address is outside {@code clients}. */
    DENIED_CLIENT,
    /** Not TLS, a malformed or oversized ClientHello, or closed before the hello was complete. */
    BAD_HELLO,
    /**
     * A plain HTTP request refused before it went anywhere: malformed, ambiguous (two lengths, a Host that names
     * another port), a method or upgrade not carried.
     */
    BAD_REQUEST,
    /** No complete ClientHello (or HTTP request head) within {@code timeouts.client_hello}. */
    HELLO_TIMEOUT,
    /** Every proxy tried answered CONNECT with an error, or not at all. */
    PROXY_ERROR,
    /** The proxy refused the destination by its own policy (403): final, no other proxy is tried. */
    PROXY_DENIED,
    /**
     * The proxy did not take the gateway's credentials (a 407 to our last leg), none of ours fit what it offers,
     * or our Kerberos side failed (no ticket, wrong SPN): final, not a fault of the proxy.
     */
    PROXY_AUTH_FAILED,
    /** No TCP connection to any proxy (or, for direct, to the destination). */
    CONNECT_ERROR,
    /** No byte in either direction for {@code timeouts.idle}. */
    IDLE_TIMEOUT,
    /** A side reset or dropped the connection. */
    RESET,
    /** Still open when the graceful shutdown's {@code shutdown.drain} ran out: closed by the gateway. */
    SHUTDOWN;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
