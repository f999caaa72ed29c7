package dev.sluice.config;

import java.time.Duration;

/**
 * {@code client_hello}: how long a client may take to send its whole ClientHello.
 * {@code connect}: TCP connect to a proxy or destination, and again for the proxy's answer to CONNECT.
 * {@code idle}: a tunnel with no byte in either direction for this long is closed.
 */
public record Timeouts(Duration clientHello, Duration connect, Duration idle) {
    public static final Timeouts DEFAULTS = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5),
            Duration.ofMinutes(15));
}
