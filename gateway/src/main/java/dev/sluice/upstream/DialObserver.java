package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;

/** Told about each attempt the {@link Dialer} makes, for the access log. */
public interface DialObserver {
    /** {@code error} is null for the attempt that worked. */
    void attempt(String via, String error, long millis);

    /**
     * The proxy-authentication scheme of the tunnel: the one its CONNECT used, or, when it failed, the one in use
     * at the most telling attempt. Not told when none was.
     */
    default void scheme(AuthScheme scheme) {
    }

    /** Something the access log should say about the tunnel's set-up (a proxy's 200 that claimed a body). */
    default void note(String note) {
    }
}
