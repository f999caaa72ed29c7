package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;

/** Told about each attempt the {@link Dialer} makes, for the access log. */
public interface DialObserver {
    /** {@code error} is null for the attempt that worked. */
    void attempt(String via, String error, long millis);

    /** The tunnel that worked authenticated with {@code scheme} (told before its attempt; not at all without). */
    default void authenticated(AuthScheme scheme) {
    }
}
