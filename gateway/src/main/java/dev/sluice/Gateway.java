package dev.sluice;

import dev.sluice.config.GatewayConfig;
import dev.sluice.config.HostPort;
import dev.sluice.config.IpLiteral;
import dev.sluice.config.Transparent;
import dev.sluice.config.ListenerConfig;
import dev.sluice.inbound.Listener;
import dev.sluice.observe.AccessLog;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.HealthChecker;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: event loops, listeners, the access log. {@link #reload} swaps the compiled configuration
 * for new connections; open tunnels keep theirs.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final Transport transport = Transport.detect();
    private final AtomicReference<Routing> routing;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>(); // read by I/O threads during start
    private final AccessLog accessLog;
    private EventLoopGroup acceptors;
    private EventLoopGroup workers;
    private AddressResolverGroup<InetSocketAddress> resolvers;
    private Dialer dialer;
    private volatile HealthChecker health;
    private volatile boolean closed;
    private Set<InetAddress> localAddresses = Set.of();

    public Gateway(GatewayConfig config, AccessLog accessLog) {
        this(Routing.of(config), accessLog);
    }

    public Gateway(Routing compiled, AccessLog accessLog) {
        this.routing = new AtomicReference<>(compiled);
        this.accessLog = accessLog;
    }

    /** Opens the access log named in the configuration. */
    public static Gateway create(Routing compiled) throws IOException {
        return new Gateway(compiled, AccessLog.open(compiled.config().accessLog()));
    }

    /** Binds every listener; fails (and releases everything) if any cannot be bound. */
    public Gateway start() throws IOException {
        if (!transport.isEpoll()) {
            LOG.info("using the NIO transport: {}", transport.whyNotEpoll());
        }
        localAddresses = hostAddresses();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        acceptors = transport.newGroup(1, "sluice-accept");
        workers = transport.newGroup(threads, "sluice-io");
        resolvers = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel()));
        dialer = new Dialer(transport.socketChannels(), resolvers, Listener.WATER_MARK, this::isListenerAddress);
        health = new HealthChecker(dialer, workers).start(routing.get().upstreams().values());
        try {
            for (ListenerConfig lc : routing.get().config().listeners()) {
                if (lc.transparent() != Transparent.OFF && !transport.isEpoll()) {
                    throw new IOException("listener " + lc.name() + ": transparent " + lc.transparent().label()
                            + " needs the Linux epoll transport, which is not available: " + transport.whyNotEpoll());
                }
                InetAddress address = IpLiteral.parse(lc.listen().host());
                Listener l = new Listener(lc, acceptors, workers, transport.serverChannels(address),
                        (cfg, ch) -> ClientConnection.accept(cfg, routing.get(), dialer, ch, accessLog));
                ChannelFuture bound = l.bind().awaitUninterruptibly();
                if (!bound.isSuccess()) {
                    String why = String.valueOf(bound.cause().getMessage());
                    // "bind(..) failed with error(-98): Address already in use" -> "Address already in use"
                    why = why.replaceFirst("^\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
                    throw new IOException("listener " + lc.name() + ": cannot bind " + lc.listen() + ": " + why,
                            bound.cause());
                }
                listeners.add(l);
                LOG.info("listener {} bound to {} (transparent {}, peek {}, default port {}, {} transport)",
                        lc.name(), new HostPort(lc.listen().host(), l.localAddress().getPort()),
                        lc.transparent().label(), lc.peek(), lc.defaultPort(), transport.name());
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /** Swaps in a new configuration for new connections. Listeners stay as they are. */
    public void reload(GatewayConfig config) {
        reload(Routing.of(config));
    }

    /** Swaps in an already compiled configuration for new connections; health probes follow the new proxies. */
    public void reload(Routing compiled) {
        routing.set(compiled);
        if (dialer != null) {
            HealthChecker old = health;
            health = new HealthChecker(dialer, workers).start(compiled.upstreams().values());
            if (old != null) {
                old.close();
            }
        }
    }

    public List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(Listener::localAddress).toList();
    }

    /** The I/O event loops (for liveness checks). */
    public EventLoopGroup eventLoops() {
        return workers;
    }

    public Routing routing() {
        return routing.get();
    }

    /** A direct connection to one of the gateway's own listeners would loop back into it. */
    private boolean isListenerAddress(InetSocketAddress target) {
        for (Listener l : listeners) {
            InetSocketAddress own = l.localAddress();
            if (own.getPort() != target.getPort()) {
                continue;
            }
            InetAddress a = target.getAddress();
            if (own.getAddress().equals(a) || (own.getAddress().isAnyLocalAddress()
                    && (a.isLoopbackAddress() || a.isAnyLocalAddress() || localAddresses.contains(a)))) {
                return true;
            }
        }
        return false;
    }

    /** This host's addresses, read once at start (not on an event loop). */
    private static Set<InetAddress> hostAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.addAll(Collections.list(nif.getInetAddresses()));
            }
        } catch (SocketException e) {
            LOG.warn("cannot list this host's addresses: {}", e.getMessage());
        }
        return Set.copyOf(out);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (health != null) {
            health.close();
        }
        for (Listener l : listeners) {
            l.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (acceptors != null) {
            acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (resolvers != null) {
            resolvers.close();
        }
        accessLog.close();
    }
}
