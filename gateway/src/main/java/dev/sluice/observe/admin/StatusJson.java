package dev.sluice.observe.admin;

import dev.sluice.observe.GatewayView;
import dev.sluice.observe.JsonOutput;
import tools.jackson.core.JsonGenerator;

/** {@code /status.json}: the {@link Status} for scripts. Times are ISO-8601 UTC, durations in milliseconds. */
final class StatusJson {
    private StatusJson() {
    }

    static String render(Status s) {
        return JsonOutput.write(g -> write(g, s));
    }

    /** {@code dns_pair}: null without {@code dns.pair}. */
    private static void pair(JsonGenerator g, Status s) {
        GatewayView.PairInfo p = s.pair();
        g.writeName("dns_pair");
        if (p == null) {
            g.writeNull();
            return;
        }
        g.writeStartObject();
        g.writeStringProperty("peer", p.peer());
        g.writeNumberProperty("half", p.half());
        g.writeStringProperty("last_sync", p.lastSync() == null ? null : p.lastSync().toString());
        g.writeName("last_sync_age_ms");
        if (p.lastSync() == null) {
            g.writeNull();
        } else {
            g.writeNumber(java.time.Duration.between(p.lastSync(), s.now()).toMillis());
        }
        g.writeStringProperty("problem", p.problem());
        g.writeStringProperty("problem_since", p.problemSince() == null ? null : p.problemSince().toString());
        g.writeEndObject();
    }

    private static void write(JsonGenerator g, Status s) {
        g.writeStartObject();
        g.writeStringProperty("version", s.build().version());
        g.writeStringProperty("netty", s.build().netty());
        g.writeStringProperty("java", s.build().java());
        g.writeStringProperty("transport", s.build().transport());
        g.writeStringProperty("now", s.now().toString());
        g.writeStringProperty("started", s.started().toString());
        g.writeNumberProperty("uptime_ms", s.uptime().toMillis());
        g.writeStringProperty("state", s.state());
        g.writeStringProperty("health", s.health());
        g.writeObjectPropertyStart("connections");
        g.writeNumberProperty("open", s.connections());
        g.writeNumberProperty("max", s.maxConnections());
        g.writeNumberProperty("max_per_client", s.maxPerClient());
        g.writeEndObject();
        g.writeArrayPropertyStart("listeners");
        for (GatewayView.ListenerInfo l : s.listeners()) {
            g.writeStartObject();
            g.writeStringProperty("name", l.name());
            g.writeStringProperty("address", l.address());
            g.writeStringProperty("transparent", l.transparent());
            g.writeBooleanProperty("bound", l.bound());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayPropertyStart("upstreams");
        for (Status.UpstreamRow u : s.upstreams()) {
            g.writeStartObject();
            g.writeStringProperty("name", u.name());
            g.writeStringProperty("strategy", u.strategy());
            g.writeArrayPropertyStart("proxies");
            for (Status.ProxyRow p : u.proxies()) {
                g.writeStartObject();
                g.writeStringProperty("url", p.url());
                g.writeBooleanProperty("up", p.up());
                g.writeName("latency_ms");
                if (p.latencyMillis() < 0) {
                    g.writeNull(); // not measured yet
                } else {
                    g.writeNumber(Math.round(p.latencyMillis() * 10) / 10.0);
                }
                g.writeNumberProperty("successes", p.successes());
                g.writeNumberProperty("failures", p.failures());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayPropertyStart("rules");
        for (Status.RuleRow r : s.rules()) {
            g.writeStartObject();
            g.writeStringProperty("name", r.name());
            g.writeStringProperty("action", r.action());
            g.writeStringProperty("upstream", r.upstream());
            g.writeNumberProperty("hits", r.hits());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayPropertyStart("busiest_tunnels");
        for (Status.TunnelRow t : s.busiest()) {
            g.writeStartObject();
            g.writeStringProperty("client", t.client());
            g.writeStringProperty("sni", t.sni());
            g.writeStringProperty("listener", t.listener());
            g.writeStringProperty("rule", t.rule());
            g.writeStringProperty("proxy", t.proxy());
            g.writeNumberProperty("bytes_up", t.bytesUp());
            g.writeNumberProperty("bytes_down", t.bytesDown());
            g.writeNumberProperty("age_ms", t.ageMillis());
            g.writeBooleanProperty("relaying", t.relaying());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayPropertyStart("recent_errors");
        for (Activity.Failure f : s.failures()) {
            g.writeStartObject();
            g.writeStringProperty("ts", f.at().toString());
            g.writeStringProperty("client", f.client());
            g.writeStringProperty("sni", f.sni());
            g.writeStringProperty("outcome", f.outcome());
            g.writeStringProperty("error", f.error());
            g.writeEndObject();
        }
        g.writeEndArray();
        pair(g, s);
        g.writeEndObject();
        g.writeRaw('\n');
    }
}
