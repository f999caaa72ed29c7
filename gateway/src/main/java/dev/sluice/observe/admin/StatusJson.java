package dev.sluice.observe.admin;

import dev.sluice.observe.Json;
import java.util.List;

/** {@code /status.json}: the {@link Status} for scripts. Times are ISO-8601 UTC, durations in milliseconds. */
final class StatusJson {
    private StatusJson() {
    }

    static String render(Status s) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"version\":");
        Json.string(sb, s.build().version());
        Json.field(sb, "netty", s.build().netty());
        Json.field(sb, "java", s.build().java());
        Json.field(sb, "transport", s.build().transport());
        Json.field(sb, "now", s.now().toString());
        Json.field(sb, "started", s.started().toString());
        sb.append(",\"uptime_ms\":").append(s.uptime().toMillis());
        Json.field(sb, "state", s.state());
        Json.field(sb, "health", s.health());
        sb.append(",\"connections\":{\"open\":").append(s.connections()).append(",\"max\":").append(s.maxConnections())
                .append(",\"max_per_client\":").append(s.maxPerClient()).append('}');
        sb.append(",\"listeners\":");
        list(sb, s.listeners(), (b, l) -> {
            b.append("{\"name\":");
            Json.string(b, l.name());
            Json.field(b, "address", l.address());
            Json.field(b, "transparent", l.transparent());
            b.append(",\"bound\":").append(l.bound()).append('}');
        });
        sb.append(",\"upstreams\":");
        list(sb, s.upstreams(), (b, u) -> {
            b.append("{\"name\":");
            Json.string(b, u.name());
            Json.field(b, "strategy", u.strategy());
            b.append(",\"proxies\":");
            list(b, u.proxies(), (c, p) -> {
                c.append("{\"url\":");
                Json.string(c, p.url());
                c.append(",\"up\":").append(p.up());
                c.append(",\"latency_ms\":").append(p.latencyMillis() < 0 ? "null"
                        : String.valueOf(Math.round(p.latencyMillis() * 10) / 10.0));
                c.append(",\"successes\":").append(p.successes()).append(",\"failures\":").append(p.failures())
                        .append('}');
            });
            b.append('}');
        });
        sb.append(",\"rules\":");
        list(sb, s.rules(), (b, r) -> {
            b.append("{\"name\":");
            Json.string(b, r.name());
            Json.field(b, "action", r.action());
            Json.field(b, "upstream", r.upstream());
            b.append(",\"hits\":").append(r.hits()).append('}');
        });
        sb.append(",\"busiest_tunnels\":");
        list(sb, s.busiest(), (b, t) -> {
            b.append("{\"client\":");
            Json.string(b, t.client());
            Json.field(b, "sni", t.sni());
            Json.field(b, "listener", t.listener());
            Json.field(b, "rule", t.rule());
            Json.field(b, "proxy", t.proxy());
            b.append(",\"bytes_up\":").append(t.bytesUp()).append(",\"bytes_down\":").append(t.bytesDown())
                    .append(",\"age_ms\":").append(t.ageMillis()).append(",\"relaying\":").append(t.relaying())
                    .append('}');
        });
        sb.append(",\"recent_errors\":");
        list(sb, s.failures(), (b, f) -> {
            b.append("{\"ts\":");
            Json.string(b, f.at().toString());
            Json.field(b, "client", f.client());
            Json.field(b, "sni", f.sni());
            Json.field(b, "outcome", f.outcome());
            Json.field(b, "error", f.error());
            b.append('}');
        });
        return sb.append("}\n").toString();
    }

    private static <T> void list(StringBuilder sb, List<T> items, java.util.function.BiConsumer<StringBuilder, T> item) {
        sb.append('[');
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            item.accept(sb, items.get(i));
        }
        sb.append(']');
    }
}
