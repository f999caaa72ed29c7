package dev.sluice.observe.metrics;

import dev.sluice.config.AuthScheme;
import dev.sluice.dns.DnsEvents;
import dev.sluice.dns.PairPuller;
import dev.sluice.dns.SyntheticTable;
import dev.sluice.observe.GatewayView;
import dev.sluice.observe.logging.AccessLog;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.session.Outcome;
import dev.sluice.session.RequestRecord;
import dev.sluice.upstream.AttemptFailure;
import dev.sluice.upstream.AttemptListener;
import dev.sluice.upstream.DialException;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.Upstream;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;

/**
 * The Prometheus metrics, in a registry of their own (no global state, so tests can run several gateways).
 * Labels come only from the configuration (listener, rule, upstream, proxy names) and fixed sets (action,
 * outcome, direction, reason): never an SNI or a client address, so the number of series stays bounded.
 */
public final class Metrics implements ConnectionRecord.Observer, AttemptListener {
    /** Why a connection was closed before it was read. */
    public enum Refusal {
        MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT, CLIENT_NOT_ALLOWED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final double[] HELLO_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        5, 10};
    private static final double[] CONNECT_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusRegistry jvm = new PrometheusRegistry(); // written after Sluice's own
    private boolean jvmRegistered;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Gauge tunnelsActive;
    private final Counter tunnels;
    private final Counter requests;
    private final CounterDataPoint bytesUp;
    private final CounterDataPoint bytesDown;
    private final CounterDataPoint splicedUp;
    private final CounterDataPoint splicedDown;
    private final Histogram helloSeconds;
    private final Histogram connectSeconds;
    private final Counter connectErrors;
    private final Counter authFailures;
    private final Counter reloads;
    private final Counter refused;
    private final Counter acceptErrors;
    private volatile Counter dnsQueries;
    private volatile Counter pairSyncs;

    public Metrics(GatewayView gateway, AccessLog accessLog) {
        GatewayView.Build b = gateway.build();
        Info.builder().name("sluice_build_info").help("What runs: Sluice, Netty and Java versions, transport")
                .labelNames("version", "netty", "java", "transport").register(registry)
                .setLabelValues(b.version(), b.netty(), b.java(), b.transport());
        GaugeWithCallback.builder().name("sluice_connections_active")
                .help("Open client connections, in any stage (what the limits count)")
                .callback(cb -> cb.call(gateway.connections())).register(registry);
        GaugeWithCallback.builder().name("sluice_connections_max").help("limits.max_connections")
                .callback(cb -> cb.call(gateway.limits().maxConnections())).register(registry);
        GaugeWithCallback.builder().name("sluice_draining").help("1 while a graceful shutdown lets tunnels finish")
                .callback(cb -> cb.call(gateway.state() == GatewayView.State.DRAINING ? 1 : 0)).register(registry);
        tunnelsActive = Gauge.builder().name("sluice_tunnels_active").help("Tunnels relaying bytes now")
                .register(registry);
        tunnels = Counter.builder().name("sluice_tunnels_total")
                .help("Connections ended, by listener, rule, action and outcome")
                .labelNames("listener", "rule", "action", "outcome").withoutExemplars().register(registry);
        requests = Counter.builder().name("sluice_http_requests_total")
                .help("Plain HTTP requests ended, by listener, rule, action and outcome")
                .labelNames("listener", "rule", "action", "outcome").withoutExemplars().register(registry);
        Counter bytes = Counter.builder().name("sluice_bytes_total").unit(Unit.BYTES)
                .help("Payload bytes relayed: up = client to server, down = server to client")
                .labelNames("direction").withoutExemplars().register(registry);
        bytesUp = bytes.labelValues("up");
        bytesDown = bytes.labelValues("down");
        Counter spliced = Counter.builder().name("sluice_spliced_bytes_total").unit(Unit.BYTES)
                .help("The part of sluice_bytes_total moved by splice(2), without a copy through user space")
                .labelNames("direction").withoutExemplars().register(registry);
        splicedUp = spliced.labelValues("up");
        splicedDown = spliced.labelValues("down");
        helloSeconds = Histogram.builder().name("sluice_client_hello_seconds").unit(Unit.SECONDS)
                .help("From accept to a complete ClientHello").classicOnly().classicUpperBounds(HELLO_BUCKETS)
                .withoutExemplars().register(registry);
        connectSeconds = Histogram.builder().name("sluice_upstream_connect_seconds").unit(Unit.SECONDS)
                .help("TCP (and TLS) to a proxy and its 200 to CONNECT, tunnels and health probes")
                .labelNames("upstream", "proxy").classicOnly().classicUpperBounds(CONNECT_BUCKETS)
                .withoutExemplars().register(registry);
        connectErrors = Counter.builder().name("sluice_upstream_connect_errors_total")
                .help("CONNECTs through a proxy that failed (unreachable, timeout, error status, 403)")
                .labelNames("upstream", "proxy").withoutExemplars().register(registry);
        authFailures = Counter.builder().name("sluice_upstream_auth_failures_total")
                .help("Tunnels a proxy refused because of the gateway's credentials (a 407 to our last leg, no "
                        + "common scheme, a Kerberos error), by scheme ('none': no scheme was tried)")
                .labelNames("upstream", "proxy", "scheme").withoutExemplars().register(registry);
        GaugeWithCallback.builder().name("sluice_upstream_proxy_up")
                .help("1 while the proxy is in service, 0 while taken out by its health checks")
                .labelNames("upstream", "proxy").callback(cb -> {
                    for (Upstream u : gateway.upstreams()) {
                        for (Proxy p : u.proxies()) {
                            cb.call(p.isUp() ? 1 : 0, u.name(), p.label());
                        }
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("sluice_upstream_proxy_latency_seconds").unit(Unit.SECONDS)
                .help("Moving average (EWMA) of the proxy's CONNECT round trip; absent until measured")
                .labelNames("upstream", "proxy").callback(cb -> {
                    for (Upstream u : gateway.upstreams()) {
                        for (Proxy p : u.proxies()) {
                            if (p.latencyMillis() >= 0) {
                                cb.call(p.latencyMillis() / 1000.0, u.name(), p.label());
                            }
                        }
                    }
                }).register(registry);
        reloads = Counter.builder().name("sluice_config_reloads_total").help("Configuration reloads (SIGHUP), by result")
                .labelNames("result").withoutExemplars().register(registry);
        reloads.labelValues("ok");
        reloads.labelValues("error");
        refused = Counter.builder().name("sluice_connections_refused_total")
                .help("Connections closed at once, by reason").labelNames("reason").withoutExemplars()
                .register(registry);
        for (Refusal r : Refusal.values()) {
            refused.labelValues(r.label());
        }
        acceptErrors = Counter.builder().name("sluice_accept_errors_total")
                .help("Failed accepts (EMFILE: out of file descriptors...); the listener pauses 1 s after each")
                .labelNames("listener").withoutExemplars().register(registry);
        CounterWithCallback.builder().name("sluice_access_log_dropped_total")
                .help("Access-log lines dropped, by reason: queue_full (the writer could not keep up), "
                        + "write_error (a write failed: disk full...)")
                .labelNames("reason").callback(cb -> {
                    cb.call(accessLog.droppedQueueFull(), "queue_full");
                    cb.call(accessLog.lostToWriteErrors(), "write_error");
                }).register(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider m) {
            GaugeWithCallback.builder().name("sluice_netty_direct_memory_used").unit(Unit.BYTES)
                    .help("Direct memory held by Netty's buffer allocator")
                    .callback(cb -> cb.call(m.metric().usedDirectMemory())).register(registry);
        }
    }

    /**
     * Creates the error counters of these listeners and proxies at zero, so that an alert on
     * {@code increase(...) > 0} sees the first error (a series that first appears at 1 has no increase).
     */
    public void expect(Collection<String> listeners, Collection<Upstream> upstreams) {
        listeners.forEach(acceptErrors::labelValues);
        for (Upstream u : upstreams) {
            for (Proxy p : u.proxies()) {
                connectErrors.labelValues(u.name(), p.label());
                for (AuthScheme s : u.schemes()) {
                    authFailures.labelValues(u.name(), p.label(), s.label());
                }
            }
        }
    }

    /** The DNS responder's metrics: its answers by kind, and the synthetic table's size. */
    public void dns(SyntheticTable table) {
        dnsQueries = Counter.builder().name("sluice_dns_queries_total")
                .help("DNS questions, by answer: synthetic, nodata, forwarded, nxdomain, refused (not a client), "
                        + "ratelimited, servfail, formerr, notimp")
                .labelNames("answer").withoutExemplars().register(registry);
        for (DnsEvents.Answer a : DnsEvents.Answer.values()) {
            dnsQueries.labelValues(a.label());
        }
        GaugeWithCallback.builder().name("sluice_dns_names").help("Names holding a synthetic address")
                .callback(cb -> cb.call(table.size())).register(registry);
        GaugeWithCallback.builder().name("sluice_dns_names_max").help("dns.limits.names, or fewer if the ranges are smaller")
                .callback(cb -> cb.call(table.capacity())).register(registry);
    }

    /** A gateway pair's sync of the name table: each pull by result, and how old the last good one is. */
    public void dnsPair(PairPuller puller) {
        pairSyncs = Counter.builder().name("sluice_dns_pair_sync_total")
                .help("Pulls of the pair's peer's name table, by result (ok, failed, mismatch)")
                .labelNames("result").withoutExemplars().register(registry);
        for (PairPuller.Result r : PairPuller.Result.values()) {
            pairSyncs.labelValues(r.label());
        }
        GaugeWithCallback.builder().name("sluice_dns_pair_sync_age_seconds").unit(Unit.SECONDS)
                .help("Seconds since the last good pull of the peer's name table (since start while none)")
                .callback(cb -> cb.call(puller.ageSeconds())).register(registry);
    }

    public void dnsPairSynced(PairPuller.Result result) {
        pairSyncs.labelValues(result.label()).inc();
    }

    public void dnsAnswered(DnsEvents.Answer answer) {
        dnsQueries.labelValues(answer.label()).inc();
    }

    public void reloaded(boolean ok) {
        reloads.labelValues(ok ? "ok" : "error").inc();
    }

    public void refused(Refusal reason) {
        refused.labelValues(reason.label()).inc();
    }

    public void acceptFailed(String listener) {
        acceptErrors.labelValues(listener).inc();
    }

    /** Writes the text exposition format (version 0.0.4): Sluice's metrics first, then the JVM's and process's. */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
        writer.write(out, jvmRegistry().scrape());
    }

    /**
     * The JVM and process collectors, registered at the first scrape: they start the JDK's management beans,
     * which would add a tenth of a second to the time until the listeners are up.
     */
    private synchronized PrometheusRegistry jvmRegistry() {
        if (!jvmRegistered) {
            JvmMetrics.builder().register(jvm);
            jvmRegistered = true;
        }
        return jvm;
    }

    public String contentType() {
        return writer.getContentType();
    }

    @Override
    public void helloRead(ConnectionRecord t, long nanos) {
        helloSeconds.observe(nanos / 1e9);
    }

    @Override
    public void relaying(ConnectionRecord t) {
        tunnelsActive.inc();
    }

    @Override
    public void moved(boolean up, long n, boolean spliced) {
        (up ? bytesUp : bytesDown).inc(n);
        if (spliced) {
            (up ? splicedUp : splicedDown).inc(n);
        }
    }

    @Override
    public void ended(ConnectionRecord t) {
        if (t.isRelaying()) {
            tunnelsActive.dec();
        }
        tunnels.labelValues(t.listener(), t.rule() == null ? "none" : t.rule(),
                t.action() == null ? "none" : t.action(), t.outcome().label()).inc();
        if (t.outcome() == Outcome.DENIED_CLIENT) {
            refused(Refusal.CLIENT_NOT_ALLOWED);
        }
    }

    @Override
    public void requested(ConnectionRecord t, RequestRecord r) {
        requests.labelValues(t.listener(), r.rule() == null ? "none" : r.rule(),
                r.action() == null ? "none" : r.action(), r.outcome().label()).inc();
    }

    @Override
    public void connected(Upstream upstream, Proxy proxy, long millis, AuthScheme scheme) {
        connectSeconds.labelValues(upstream.name(), proxy.label()).observe(millis / 1000.0);
    }

    @Override
    public void failed(Upstream upstream, Proxy proxy, AttemptFailure failure) {
        connectErrors.labelValues(upstream.name(), proxy.label()).inc();
        if (failure.kind() == DialException.Kind.AUTH) {
            authFailures.labelValues(upstream.name(), proxy.label(),
                    failure.scheme() == null ? "none" : failure.scheme().label()).inc();
        }
    }
}
