package dev.sluice.config;

import dev.sluice.net.HostPort;
import java.time.Duration;

/**
 * {@code dns.pair}: two gateways (a keepalived pair) keep one name table. Each gives new names slots of its own
 * half only ({@code half} 1 the even slots, 2 the odd ones) and pulls the other's changes from its admin listener
 * every {@code interval}.
 *
 * @param peer     the other box's admin listener, by IP address
 * @param half     1 or 2; the other box has the other one
 * @param interval how often the peer's table is pulled
 */
public record DnsPair(HostPort peer, int half, Duration interval) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    /** The peer's URL, as written: {@code http://IP:PORT}. */
    public String url() {
        return "http://" + peer;
    }
}
