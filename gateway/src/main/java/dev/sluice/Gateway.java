package dev.sluice;

import dev.sluice.config.AdminConfig;
import dev.sluice.config.DnsConfig;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.ListenerConfig;
import dev.sluice.dns.DnsResponder;
import dev.sluice.dns.PairPuller;
import dev.sluice.dns.PairText;
import dev.sluice.dns.SyntheticTable;
import dev.sluice.dns.TableFile;
import dev.sluice.dns.TableKeeper;
import dev.sluice.inbound.ConnectionLimiter;
import dev.sluice.inbound.Listener;
import dev.sluice.io.IoRuntime;
import dev.sluice.io.Transport;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.net.NativeErrors;
import dev.sluice.observe.GatewayView;
import dev.sluice.observe.Observers;
import dev.sluice.observe.admin.Activity;
import dev.sluice.observe.admin.AdminServer;
import dev.sluice.observe.logging.AccessLog;
import dev.sluice.observe.logging.AuthWarnings;
import dev.sluice.observe.logging.DnsLog;
import dev.sluice.observe.logging.LogLevels;
import dev.sluice.observe.metrics.Metrics;
import dev.sluice.observe.metrics.Refusals;
import dev.sluice.policy.LocalTargets;
import dev.sluice.session.ClientConnection;
import dev.sluice.session.CompiledConfig;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.upstream.AttemptListener;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.HealthChecker;
import dev.sluice.upstream.KerberosClients;
import dev.sluice.upstream.ProxyHealth;
import dev.sluice.upstream.auth.Krb5Conf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway, wired from its parts: the I/O runtime ({@link IoRuntime}), admission ({@link Admission}),
 * the listeners, the admin listener, the access log and metrics. {@link #reload} swaps the compiled configuration
 * for new connections (open tunnels keep theirs); {@link #stop} drains. The constructor makes every part; {@link
 * #start} binds.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final AtomicReference<CompiledConfig> compiled;
    private final KerberosClients kerberos;
    private final AccessLog accessLog;
    private final Metrics metrics;
    private final Refusals refusals;
    private final Activity activity = new Activity();
    private final LogLevels logLevels = new LogLevels();
    private final ConnectionRecord.Observer observer;
    private final IoRuntime io;
    private final Dialer dialer;
    private final Admission admission;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>(); // read by I/O threads during start
    /** Their bound sockets, in the same order: the own-host guard reads this list at each check. */
    private final List<InetSocketAddress> listenerSockets = new CopyOnWriteArrayList<>();
    private final AtomicReference<GatewayView.State> state = new AtomicReference<>(GatewayView.State.STARTING);
    private final LiveView view;
    private final LocalTargets localTargets;
    private final AtomicReference<AdminServer> admin = new AtomicReference<>(); // stays empty without one
    private volatile HealthChecker health; // probes nothing until start; a reload replaces it
    /** The DNS responder's settings as at start-up (null: no responder), and as in force now. */
    private final DnsConfig startDns;
    private final AtomicReference<DnsConfig> liveDns;
    private final SyntheticTable synthetic; // null without a responder
    private TableKeeper tableKeeper;
    private volatile PairPuller pairPuller; // with dns.pair, from start
    private DnsResponder dns;
    private volatile boolean closed;

    public Gateway(GatewayConfig config, AccessLog accessLog) {
        this(CompiledConfig.of(config), accessLog);
    }

    public Gateway(CompiledConfig compiled, AccessLog accessLog) {
        this(compiled, accessLog, new KerberosClients());
    }

    /** {@code kerberos}: the clients {@code compiled} was made with; reloads go on with them. */
    public Gateway(CompiledConfig compiled, AccessLog accessLog, KerberosClients kerberos) {
        logLevels.apply(compiled.config().operations().logging()); // before anything is logged
        this.compiled = new AtomicReference<>(compiled);
        this.kerberos = kerberos;
        this.accessLog = accessLog;
        ConnectionLimiter limiter = new ConnectionLimiter(compiled.config().operations().limits());
        this.startDns = compiled.config().dns();
        this.liveDns = new AtomicReference<>(startDns);
        this.synthetic = startDns == null ? null : new SyntheticTable(startDns.ipv4(), startDns.ipv6(),
                startDns.maxNames(), startDns.pair() == null ? 0 : startDns.pair().half(), System::currentTimeMillis);
        PairText names = synthetic == null ? null : new PairText(synthetic);
        this.view = new LiveView(Transport.detect().name(), this.compiled, listeners, state, limiter::open,
                () -> pairPuller == null ? null : pairPuller.state(),
                since -> names == null ? null : names.answer(since));
        this.metrics = new Metrics(view, accessLog);
        this.refusals = new Refusals(metrics);
        this.admission = new Admission(limiter, refusals);
        this.observer = Observers.of(activity, metrics, accessLog);
        AtomicReference<AdminServer> adminServer = admin; // bound later, by start(), like the listeners
        this.localTargets = new LocalTargets(listenerSockets,
                () -> adminServer.get() == null ? null : adminServer.get().localAddress(), hostAddresses());
        metrics.expect(compiled.config().listeners().stream().map(ListenerConfig::name).toList(),
                compiled.upstreams().values());
        if (synthetic != null) {
            metrics.dns(synthetic);
        }
        // last, the part that holds descriptors (event loops, resolver): nothing after it can fail
        this.io = new IoRuntime();
        this.dialer = io.dialer(AttemptListener.all(new ProxyHealth(), metrics, new AuthWarnings()));
        this.health = new HealthChecker(dialer, io.workers());
    }

    /** Opens the access log named in the configuration. */
    public static Gateway create(CompiledConfig compiled, KerberosClients kerberos) throws IOException {
        AccessLog accessLog = AccessLog.open(compiled.config().accessLog());
        try {
            return new Gateway(compiled, accessLog, kerberos);
        } catch (RuntimeException e) {
            accessLog.close();
            throw e;
        }
    }

    /** The Kerberos clients: a reload compiles its configuration with them, so tickets carry over. */
    KerberosClients kerberos() {
        return kerberos;
    }

    /** Binds every listener; fails (and releases everything) if any cannot be bound. */
    public Gateway start() throws IOException {
        Transport transport = io.transport();
        if (!transport.isEpoll()) {
            LOG.info("using the NIO transport: {}", transport.whyNotEpoll());
        }
        CompiledConfig config = compiled.get();
        Admission.warnIfTooFewDescriptors(config.config().operations().limits());
        Krb5Conf.use(config.krb5Conf()); // JVM-wide: before any Kerberos work
        kerberos.start(config.upstreams().values()); // logins in the background
        health.start(config.upstreams().values());
        try {
            startAdmin(config.config().operations().admin());
            for (ListenerConfig lc : config.config().listeners()) {
                Listener l = io.listener(lc, this::accept, cause -> refusals.acceptFailed(lc.name(), cause));
                Throwable failed = l.bind();
                if (failed != null) {
                    throw new IOException("listener " + lc.name() + ": cannot bind " + lc.listen() + ": "
                            + NativeErrors.strip(String.valueOf(failed.getMessage())), failed);
                }
                listeners.add(l);
                listenerSockets.add(l.localAddress());
                LOG.info("listener {} bound to {} (transparent {}, peek {}, default port {}, {} transport, {})",
                        lc.name(), new HostPort(lc.listen().host(), l.localAddress().getPort()),
                        lc.transparent().label(), lc.peek(), lc.defaultPort(), transport.name(),
                        l.sockets() + (l.sockets() == 1 ? " socket" : " sockets")
                                + (transport.isEpoll() ? " with SO_REUSEPORT" : ""));
            }
            startDns();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        state.set(GatewayView.State.SERVING);
        return this;
    }

    /** The DNS responder, when configured: its table read back from the state directory first. */
    private void startDns() throws IOException {
        if (startDns == null) {
            return;
        }
        tableKeeper = new TableKeeper(synthetic, new TableFile(startDns.stateDir())).start();
        if (startDns.pair() != null) {
            PairPuller puller = new PairPuller(startDns.pair(), synthetic, metrics::dnsPairSynced);
            metrics.dnsPair(puller);
            pairPuller = puller.start(); // one pull first: names the peer gave out keep the peer's addresses
        }
        dns = new DnsResponder(startDns, io.transport(), synthetic,
                () -> new DnsResponder.Live(compiled.get().policy(), liveDns.get()), new DnsLog(metrics::dnsAnswered))
                .bind();
    }

    private void startAdmin(AdminConfig ac) throws IOException {
        if (ac == null) {
            return;
        }
        AdminServer server = new AdminServer(ac, view, metrics, activity, io.adminLoop(),
                io.transport().serverChannels(IpLiteral.parse(ac.listen().host())));
        ChannelFuture bound = server.bind().awaitUninterruptibly();
        if (!bound.isSuccess()) {
            server.close();
            throw new IOException("admin: cannot bind " + ac.listen() + ": "
                    + NativeErrors.strip(String.valueOf(bound.cause().getMessage())), bound.cause());
        }
        admin.set(server);
        LOG.info("admin listener bound to {} (/status, /status.json, /metrics, /healthz, /readyz)",
                new HostPort(ac.listen().host(), server.localAddress().getPort()));
    }

    /** Each accepted connection, on its event loop: admitted (or refused by the limits), then on its way. */
    private void accept(ListenerConfig lc, SocketChannel ch) {
        admission.admit(ch, c -> ClientConnection.accept(lc, compiled.get(), dialer, localTargets, synthetic, c,
                observer));
    }

    /**
     * The DNS settings a reload brings: its forwarders, TTL, limits and so on; but the addresses, ranges, state
     * directory and table size stay as at start-up (a restart changes those), and a responder is neither started
     * nor stopped by a reload.
     */
    private DnsConfig dnsAfterReload(DnsConfig next) {
        if (startDns == null) {
            if (next != null) {
                LOG.warn("reload: the dns section is new: the DNS responder starts at the next restart");
            }
            return null;
        }
        if (next == null) {
            LOG.warn("reload: the dns section is gone: the DNS responder goes on as it was until the next restart");
            return liveDns.get();
        }
        if (!startDns.reloadableTo(next)) {
            LOG.warn("reload: dns.listen, dns.synthetic, dns.state_dir, dns.limits.names and dns.pair take effect at "
                    + "the next restart; the rest of the dns section is applied");
            return new DnsConfig(startDns.listen(), next.forward(), startDns.ipv4(), startDns.ipv6(), next.ttl(),
                    next.nxdomain(), next.tlsPorts(), startDns.stateDir(), startDns.maxNames(), next.maxForwards(),
                    next.clientQps(), startDns.pair(), next.position());
        }
        return next;
    }

    /** Swaps in a new configuration for new connections. Listeners stay as they are. */
    public void reload(GatewayConfig config) {
        reload(CompiledConfig.of(config, kerberos));
    }

    /**
     * Swaps in an already compiled configuration for new connections; proxies it keeps keep their health, and
     * health probes follow the new proxies. Refused (IllegalStateException, nothing changed) when it names another
     * krb5.conf: the JVM reads one.
     */
    public void reload(CompiledConfig next) {
        boolean started = state.get() != GatewayView.State.STARTING;
        if (started) {
            Krb5Conf.use(next.krb5Conf());
        }
        next.inheritHealth(compiled.getAndSet(next));
        admission.limits(next.config().operations().limits());
        liveDns.set(dnsAfterReload(next.config().dns()));
        metrics.expect(List.of(), next.upstreams().values());
        logLevels.apply(next.config().operations().logging());
        if (started) {
            kerberos.start(next.upstreams().values());
            HealthChecker old = health;
            health = new HealthChecker(dialer, io.workers()).start(next.upstreams().values());
            old.close();
        }
    }

    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(listenerSockets);
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
        AdminServer server = admin.get();
        return server == null ? null : server.localAddress();
    }

    /** Open client connections (as counted for the limits). */
    public int connections() {
        return admission.open();
    }

    /** The I/O event loops (for liveness checks). */
    public EventLoopGroup eventLoops() {
        return io.workers();
    }

    /** The DNS responder's name table, or null when there is no responder. */
    public SyntheticTable synthetic() {
        return synthetic;
    }

    public CompiledConfig compiled() {
        return compiled.get();
    }

    /**
     * Graceful stop: stops accepting at once, lets open connections finish for up to {@code drain}, then closes
     * what is left (their access-log outcome is {@code shutdown}) and releases everything.
     */
    public void stop(Duration drain) {
        if (closed) {
            return;
        }
        state.set(GatewayView.State.DRAINING);
        listeners.forEach(Listener::close);
        admission.drain(drain);
        close();
    }

    /** This host's addresses, read once (not on an event loop), for the guard against tunnels to itself. */
    private static Set<InetAddress> hostAddresses() {
        try {
            return LocalTargets.hostAddresses();
        } catch (SocketException e) {
            LOG.warn("cannot list this host's addresses: {}", e.getMessage());
            return Set.of();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        state.set(GatewayView.State.DRAINING);
        health.close();
        listeners.forEach(Listener::close);
        if (pairPuller != null) {
            pairPuller.close();
        }
        if (dns != null) {
            dns.close();
        }
        if (tableKeeper != null) {
            tableKeeper.close(); // written once more: a restart finds every name given out
        }
        AdminServer server = admin.get();
        if (server != null) {
            server.close();
        }
        admission.closeAll("the gateway closed"); // before the loops stop: a loop's last tasks free the buffers
        io.close();
        kerberos.close();
        accessLog.close();
    }
}
