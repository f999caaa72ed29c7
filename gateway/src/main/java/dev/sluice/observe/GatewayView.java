package dev.sluice.observe;

import dev.sluice.config.Limits;
import dev.sluice.policy.Rule;
import dev.sluice.upstream.Upstream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** What the admin listener may read of the running gateway. Called from the admin thread; must not block. */
public interface GatewayView {
    /** One bound listener. */
    record ListenerInfo(String name, String address, String transparent, boolean bound) {
    }

    /** Starting, serving, or draining for a graceful shutdown. */
    enum State {
        STARTING, SERVING, DRAINING;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What runs: Sluice's version, Netty's, Java's, and the transport (epoll or nio). */
    record Build(String version, String netty, String java, String transport) {
    }

    Build build();

    Instant started();

    State state();

    List<ListenerInfo> listeners();

    /** The upstreams of the configuration in use. */
    Collection<Upstream> upstreams();

    /** The rules of the configuration in use, in order. */
    List<Rule> rules();

    Limits limits();

    /** Open client connections (what the limits count). */
    int connections();

    /**
     * The sync of a gateway pair's name table ({@code dns.pair}): the peer's URL, this box's half, the last good
     * pull (null: none yet) and what fails now (null: nothing), since when.
     */
    record PairInfo(String peer, int half, Instant lastSync, String problem, Instant problemSince) {
    }

    /** Null without {@code dns.pair}. */
    default PairInfo dnsPair() {
        return null;
    }

    /** The name table as a pair's peer pulls it ({@code GET /dns/names?since=TOKEN}); null without DNS. */
    default String dnsNames(String since) {
        return null;
    }
}
