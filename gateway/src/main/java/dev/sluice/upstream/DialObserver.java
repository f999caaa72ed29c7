package dev.sluice.upstream;

/** Told about each attempt the {@link Dialer} makes, for the access log. */
public interface DialObserver {
    /** {@code error} is null for the attempt that worked. */
    void attempt(String via, String error, long millis);
}
