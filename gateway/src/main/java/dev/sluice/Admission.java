package dev.sluice;

import dev.sluice.config.Durations;
import dev.sluice.config.Limits;
import dev.sluice.inbound.ConnectionLimiter;
import dev.sluice.observe.metrics.Metrics;
import dev.sluice.observe.metrics.Refusals;
import dev.sluice.relay.Closing;
import dev.sluice.session.ClientConnection;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who gets in, and who is still in: each accepted connection is counted against {@code limits} (over them: a
 * reset, counted and logged), then tracked until it closes. At a stop, {@link #drain} waits for the tracked
 * connections to end and closes what is left.
 */
final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class); // the drain is the gateway's story
    private static final AttributeKey<ClientConnection> CONNECTION = AttributeKey.valueOf("sluice.connection");

    private final ConnectionLimiter limiter;
    private final Refusals refusals;
    private final ChannelGroup live = new DefaultChannelGroup("sluice-clients", GlobalEventExecutor.INSTANCE);

    Admission(ConnectionLimiter limiter, Refusals refusals) {
        this.limiter = limiter;
        this.refusals = refusals;
    }

    /**
     * On the connection's event loop: counts {@code ch} against the limits, then {@code start}s its connection and
     * tracks it until it closes (told to end if still open when the drain time runs out). Its place in the limits
     * is released by a close listener registered after the connection's own, so a connection counts until its
     * record has ended. Over a limit, {@code ch} is reset instead, and the refusal counted and logged.
     */
    void admit(SocketChannel ch, Function<SocketChannel, ClientConnection> start) {
        InetAddress from = ch.remoteAddress().getAddress();
        ConnectionLimiter.Over over = limiter.tryAcquire(from);
        if (over != null) {
            Limits limits = limiter.limits();
            if (over == ConnectionLimiter.Over.MAX_CONNECTIONS) {
                refusals.refused(Metrics.Refusal.MAX_CONNECTIONS, from, limits.maxConnections());
            } else {
                refusals.refused(Metrics.Refusal.MAX_CONNECTIONS_PER_CLIENT, from, limits.maxConnectionsPerClient());
            }
            Closing.reset(ch);
            return;
        }
        ch.attr(CONNECTION).set(start.apply(ch));
        ch.closeFuture().addListener(f -> limiter.release(from));
        live.add(ch); // leaves the group when it closes
    }

    /** New limits (a reload); connections over them stay. */
    void limits(Limits limits) {
        limiter.limits(limits);
    }

    /** Open client connections, as counted for the limits. */
    int open() {
        return limiter.open();
    }

    /**
     * The graceful end (listeners already closed): waits up to {@code drain} for the open connections to finish,
     * then ends the rest (their outcome is {@code shutdown}) and waits up to 2 s for them to close.
     */
    void drain(Duration drain) {
        int atStart = live.size();
        if (atStart == 0) {
            return;
        }
        LOG.info("not accepting connections; waiting up to {} (shutdown.drain) for {} open connection{}",
                Durations.format(drain), atStart, atStart == 1 ? "" : "s");
        long began = System.nanoTime();
        for (Channel ch : live) {
            ClientConnection c = ch.attr(CONNECTION).get();
            if (c != null) {
                c.draining(); // a kept-alive plain HTTP connection ends after its request in flight
            }
        }
        if (live.newCloseFuture().awaitUninterruptibly(drain.toMillis())) {
            LOG.info("drained: all {} connection{} finished in {} ms", atStart, atStart == 1 ? "" : "s",
                    (System.nanoTime() - began) / 1_000_000);
            return;
        }
        int left = live.size();
        LOG.warn("drain time over: closing {} connection{} still open", left, left == 1 ? "" : "s");
        closeAll("still open when shutdown.drain (" + Durations.format(drain) + ") ran out");
    }

    /**
     * Ends every open connection now (outcome {@code shutdown}, reason {@code why}) and waits up to 2 s for them to
     * close, so that each is closed, logged and its buffers freed by its own event loop before the loops stop.
     */
    void closeAll(String why) {
        if (live.isEmpty()) {
            return;
        }
        for (Channel ch : live) {
            ClientConnection c = ch.attr(CONNECTION).get();
            if (c != null) {
                c.shutdown(why);
            } else {
                ch.close();
            }
        }
        live.newCloseFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /** Two descriptors per tunnel: a max_connections the process cannot reach would end in EMFILE instead. */
    static void warnIfTooFewDescriptors(Limits limits) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long max = os.getMaxFileDescriptorCount();
            long needed = 2L * limits.maxConnections() + 100;
            if (max > 0 && needed > max) {
                LOG.warn("limits.max_connections {} needs about {} file descriptors (two per tunnel) but this process "
                        + "may open {}: raise LimitNOFILE (ulimit -n) or lower max_connections", limits.maxConnections(),
                        needed, max);
            }
        }
    }
}
