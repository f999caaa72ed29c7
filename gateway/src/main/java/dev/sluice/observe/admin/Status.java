package dev.sluice.observe.admin;

import dev.sluice.config.Action;
import dev.sluice.net.HostPort;
import dev.sluice.observe.GatewayView;
import dev.sluice.policy.Rule;
import dev.sluice.session.ConnectionRecord;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.Upstream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** One reading of the gateway for {@code /status} and {@code /status.json}: plain values, taken at once. */
public record Status(GatewayView.Build build, Instant now, Instant started, String state, String health,
                     int connections, int maxConnections, int maxPerClient, List<GatewayView.ListenerInfo> listeners,
                     List<UpstreamRow> upstreams, List<RuleRow> rules, List<TunnelRow> busiest,
                     List<Activity.Failure> failures, GatewayView.PairInfo pair) {
    /** Busiest open tunnels shown. */
    public static final int BUSIEST = 20;

    public record ProxyRow(String url, boolean up, double latencyMillis, long successes, long failures) {
    }

    public record UpstreamRow(String name, String strategy, List<ProxyRow> proxies) {
    }

    public record RuleRow(String name, String action, String upstream, long hits) {
    }

    public record TunnelRow(String client, String sni, String listener, String rule, String proxy, long bytesUp,
                            long bytesDown, long ageMillis, boolean relaying) {
    }

    public static Status of(GatewayView gateway, Activity activity) {
        List<UpstreamRow> upstreams = new ArrayList<>();
        for (Upstream u : gateway.upstreams()) {
            List<ProxyRow> proxies = new ArrayList<>();
            for (Proxy p : u.proxies()) {
                proxies.add(new ProxyRow(p.url().toString(), p.isUp(), p.latencyMillis(), p.totalSuccesses(),
                        p.totalFailures()));
            }
            upstreams.add(new UpstreamRow(u.name(), u.policy().strategy().label(), proxies));
        }
        List<RuleRow> rules = new ArrayList<>();
        for (Rule r : gateway.rules()) {
            rules.add(new RuleRow(r.name(), r.action().label(), r.action() == Action.SPLICE ? r.upstream() : null,
                    activity.hits(r.name())));
        }
        List<TunnelRow> busiest = new ArrayList<>();
        for (ConnectionRecord t : activity.busiest(BUSIEST)) {
            busiest.add(new TunnelRow(t.client() == null ? null : HostPort.of(t.client()).toString(), t.sni(), t.listener(),
                    t.rule(), t.proxy(), t.bytesUp(), t.bytesDown(), t.ageNanos() / 1_000_000, t.isRelaying()));
        }
        return new Status(gateway.build(), Instant.now(), gateway.started(), gateway.state().label(),
                Health.check(gateway).reason(), gateway.connections(), gateway.limits().maxConnections(),
                gateway.limits().maxConnectionsPerClient(), gateway.listeners(), upstreams, rules, busiest,
                activity.failures(), gateway.dnsPair());
    }

    public Duration uptime() {
        return Duration.between(started, now);
    }
}
