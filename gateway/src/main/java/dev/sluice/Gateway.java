package dev.sluice;

import dev.sluice.session.ClientConnection;

import dev.sluice.config.AdminConfig;
import dev.sluice.config.Durations;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.Limits;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.config.Transparent;
import dev.sluice.config.ListenerConfig;
import dev.sluice.inbound.ConnectionLimiter;
import dev.sluice.inbound.Listener;
import dev.sluice.observe.AccessLog;
import dev.sluice.observe.Activity;
import dev.sluice.observe.AuthWarnings;
import dev.sluice.observe.AdminServer;
import dev.sluice.observe.GatewayView;
import dev.sluice.observe.LogLevels;
import dev.sluice.observe.Metrics;
import dev.sluice.observe.Observers;
import dev.sluice.observe.Refusals;
import dev.sluice.policy.LocalTargets;
import dev.sluice.relay.Closing;
import dev.sluice.relay.Splice;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.upstream.AttemptListener;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.HealthChecker;
import dev.sluice.upstream.KerberosClients;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.ProxyHealth;
import dev.sluice.upstream.Upstream;
import dev.sluice.upstream.auth.Krb5Conf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: event loops, listeners, the admin listener, the access log and metrics. {@link #reload}
 * swaps the compiled configuration for new connections; open tunnels keep theirs. {@link #stop} drains.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final Transport transport = Transport.detect();
    private final AtomicReference<Routing> routing;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>(); // read by I/O threads during start
    private final AccessLog accessLog;
    private final ConnectionLimiter limiter;
    private final Set<ClientConnection> open = ConcurrentHashMap.newKeySet();
    private final Activity activity = new Activity();
    private final LiveView view = new LiveView(this);
    private final Metrics metrics;
    private final Refusals refusals;
    private final ConnectionRecord.Observer observer;
    private final LogLevels logLevels = new LogLevels();
    private final KerberosClients kerberos;
    private volatile GatewayView.State state = GatewayView.State.STARTING;
    private EventLoopGroup workers;
    private EventLoopGroup adminLoop;
    private AdminServer admin;
    private AddressResolverGroup<InetSocketAddress> resolvers;
    private Dialer dialer;
    private volatile HealthChecker health;
    private volatile boolean closed;
    private Set<InetAddress> localAddresses = Set.of();
    private LocalTargets localTargets; // made in start(), before any listener accepts

    public Gateway(GatewayConfig config, AccessLog accessLog) {
        this(Routing.of(config), accessLog);
    }

    public Gateway(Routing compiled, AccessLog accessLog) {
        this(compiled, accessLog, new KerberosClients());
    }

    /** {@code kerberos}: the clients {@code compiled} was made with; reloads go on with them. */
    public Gateway(Routing compiled, AccessLog accessLog, KerberosClients kerberos) {
        this.kerberos = kerberos;
        this.routing = new AtomicReference<>(compiled);
        this.accessLog = accessLog;
        this.limiter = new ConnectionLimiter(compiled.config().operations().limits());
        this.metrics = new Metrics(view, accessLog);
        this.refusals = new Refusals(metrics);
        this.observer = Observers.of(activity, metrics, accessLog);
        metrics.expect(compiled.config().listeners().stream().map(ListenerConfig::name).toList(),
                compiled.upstreams().values());
        logLevels.apply(compiled.config().operations().logging()); // before anything is logged
    }

    /** Opens the access log named in the configuration. */
    public static Gateway create(Routing compiled, KerberosClients kerberos) throws IOException {
        return new Gateway(compiled, AccessLog.open(compiled.config().accessLog()), kerberos);
    }

    /** The Kerberos clients: a reload compiles its configuration with them, so tickets carry over. */
    KerberosClients kerberos() {
        return kerberos;
    }

    /** Binds every listener; fails (and releases everything) if any cannot be bound. */
    public Gateway start() throws IOException {
        if (!transport.isEpoll()) {
            LOG.info("using the NIO transport: {}", transport.whyNotEpoll());
        }
        localAddresses = hostAddresses();
        warnIfTooFewDescriptors(routing.get().config().operations().limits());
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        workers = transport.newGroup(threads, "sluice-io");
        resolvers = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel()));
        ChannelFactory<? extends Channel> sockets = transport.socketChannels();
        ChannelFactory<Channel> spliceable = () -> {
            Channel ch = sockets.newChannel();
            Splice.prepare(ch);
            return ch;
        };
        dialer = new Dialer(spliceable, resolvers, Listener.WATER_MARK,
                AttemptListener.all(new ProxyHealth(), metrics, new AuthWarnings()));
        localTargets = new LocalTargets(this::isListenerAddress, this::isAdminAddress, localAddresses);
        Krb5Conf.use(routing.get().krb5Conf()); // JVM-wide: before any Kerberos work
        kerberos.start(routing.get().upstreams().values()); // logins in the background
        health = new HealthChecker(dialer, workers).start(routing.get().upstreams().values());
        try {
            startAdmin();
            for (ListenerConfig lc : routing.get().config().listeners()) {
                if (lc.transparent() != Transparent.OFF && !transport.isEpoll()) {
                    throw new IOException("listener " + lc.name() + ": transparent " + lc.transparent().label()
                            + " needs the Linux epoll transport, which is not available: " + transport.whyNotEpoll());
                }
                InetAddress address = IpLiteral.parse(lc.listen().host());
                Listener l = new Listener(lc, workers, transport.isEpoll(), transport.serverChannels(address),
                        this::accept, cause -> refusals.acceptFailed(lc.name(), cause));
                Throwable failed = l.bind();
                if (failed != null) {
                    throw new IOException("listener " + lc.name() + ": cannot bind " + lc.listen() + ": "
                            + bindError(failed), failed);
                }
                listeners.add(l);
                LOG.info("listener {} bound to {} (transparent {}, peek {}, default port {}, {} transport, {})",
                        lc.name(), new HostPort(lc.listen().host(), l.localAddress().getPort()),
                        lc.transparent().label(), lc.peek(), lc.defaultPort(), transport.name(),
                        l.sockets() + (l.sockets() == 1 ? " socket" : " sockets")
                                + (transport.isEpoll() ? " with SO_REUSEPORT" : ""));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        state = GatewayView.State.SERVING;
        return this;
    }

    private void startAdmin() throws IOException {
        AdminConfig ac = routing.get().config().operations().admin();
        if (ac == null) {
            return;
        }
        InetAddress address = IpLiteral.parse(ac.listen().host());
        adminLoop = transport.newGroup(1, "sluice-admin");
        admin = new AdminServer(ac, view, metrics, activity, adminLoop, transport.serverChannels(address));
        ChannelFuture bound = admin.bind().awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("admin: cannot bind " + ac.listen() + ": " + bindError(bound.cause()), bound.cause());
        }
        LOG.info("admin listener bound to {} (/status, /status.json, /metrics, /healthz, /readyz)",
                new HostPort(ac.listen().host(), admin.localAddress().getPort()));
    }

    private static String bindError(Throwable cause) {
        // "bind(..) failed with error(-98): Address already in use" -> "Address already in use"
        return String.valueOf(cause.getMessage()).replaceFirst("^\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
    }

    /** Each accepted connection, on its event loop: counted against the limits, then on its way. */
    private void accept(ListenerConfig lc, SocketChannel ch) {
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
        Splice.prepare(ch);
        ClientConnection c = ClientConnection.accept(lc, routing.get(), dialer, localTargets, ch, observer);
        open.add(c);
        ch.closeFuture().addListener(f -> {
            limiter.release(from);
            open.remove(c);
        });
    }
    /** Swaps in a new configuration for new connections. Listeners stay as they are. */
    public void reload(GatewayConfig config) {
        reload(Routing.of(config, kerberos));
    }

    /**
     * Swaps in an already compiled configuration for new connections; health probes follow the new proxies.
     * Refused (IllegalStateException, nothing changed) when it names another krb5.conf: the JVM reads one.
     */
    public void reload(Routing compiled) {
        if (dialer != null) {
            Krb5Conf.use(compiled.krb5Conf());
        }
        Routing before = routing.getAndSet(compiled);
        carryOverHealth(before, compiled);
        limiter.limits(compiled.config().operations().limits());
        metrics.expect(List.of(), compiled.upstreams().values());
        logLevels.apply(compiled.config().operations().logging());
        if (dialer != null) {
            kerberos.start(compiled.upstreams().values());
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

    /** Proxies kept by a reload (same upstream, same URL) keep their health and latency. */
    private static void carryOverHealth(Routing before, Routing after) {
        for (Upstream u : after.upstreams().values()) {
            Upstream old = before.upstreams().get(u.name());
            if (old == null) {
                continue;
            }
            for (Proxy p : u.proxies()) {
                old.proxies().stream().filter(o -> o.url().equals(p.url())).findFirst().ifPresent(p::inherit);
            }
        }
    }

    /** A reload was asked for (SIGHUP): counted; a log file is reopened either way (logrotate needs it). */
    void reloadAsked(boolean ok) {
        metrics.reloaded(ok);
    }

    /** Closes and reopens the access-log file (after logrotate moved it: SIGUSR1, and SIGHUP with a reload). */
    public void reopenLogs() {
        accessLog.reopen();
    }

    /** The admin listener's address, or null when there is none. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.localAddress();
    }

    /** Open client connections (as counted for the limits). */
    public int connections() {
        return limiter.open();
    }

    GatewayView.State state() {
        return state;
    }

    List<Listener> listeners() {
        return listeners;
    }

    /**
     * Graceful stop: stops accepting at once, lets open connections finish for up to {@code drain}, then closes
     * what is left (their access-log outcome is {@code shutdown}) and releases everything.
     */
    public void stop(Duration drain) {
        if (closed) {
            return;
        }
        state = GatewayView.State.DRAINING;
        for (Listener l : listeners) {
            l.close();
        }
        int atStart = open.size();
        if (atStart > 0) {
            LOG.info("not accepting connections; waiting up to {} (shutdown.drain) for {} open connection{}",
                    Durations.format(drain), atStart, atStart == 1 ? "" : "s");
            long deadline = System.nanoTime() + drain.toNanos();
            long began = System.nanoTime();
            while (!open.isEmpty() && System.nanoTime() - deadline < 0) {
                try {
                    Thread.sleep(20); // the shutdown thread, not an event loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            int left = open.size();
            if (left == 0) {
                LOG.info("drained: all {} connection{} finished in {} ms", atStart, atStart == 1 ? "" : "s",
                        (System.nanoTime() - began) / 1_000_000);
            } else {
                LOG.warn("drain time over: closing {} connection{} still open", left, left == 1 ? "" : "s");
                for (ClientConnection c : open) {
                    c.shutdown("still open when shutdown.drain (" + Durations.format(drain) + ") ran out");
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (!open.isEmpty() && System.nanoTime() - until < 0) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        close();
    }

    /** The I/O event loops (for liveness checks). */
    public EventLoopGroup eventLoops() {
        return workers;
    }

    public Routing routing() {
        return routing.get();
    }

    /** A connection to one of the gateway's own listeners would loop back into it. */
    private boolean isListenerAddress(InetSocketAddress target) {
        for (Listener l : listeners) {
            if (reaches(l.localAddress(), target)) {
                return true;
            }
        }
        return false;
    }

    private boolean isAdminAddress(InetSocketAddress target) {
        return admin != null && reaches(admin.localAddress(), target);
    }

    /** Whether a connection to {@code target} would arrive at the socket bound to {@code own} on this host. */
    private boolean reaches(InetSocketAddress own, InetSocketAddress target) {
        if (own.getPort() != target.getPort()) {
            return false;
        }
        InetAddress a = target.getAddress();
        return own.getAddress().equals(a) || (own.getAddress().isAnyLocalAddress()
                && (a.isLoopbackAddress() || a.isAnyLocalAddress() || localAddresses.contains(a)));
    }

    /** Two descriptors per tunnel: a max_connections the process cannot reach would end in EMFILE instead. */
    private static void warnIfTooFewDescriptors(Limits limits) {
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
        state = GatewayView.State.DRAINING;
        if (health != null) {
            health.close();
        }
        for (Listener l : listeners) {
            l.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (adminLoop != null) {
            adminLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (resolvers != null) {
            resolvers.close();
        }
        kerberos.close();
        accessLog.close();
    }
}
