package dev.sluice.observe.admin;

import dev.sluice.observe.GatewayView;
import dev.sluice.session.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code /status}: the {@link Status} as one self-contained HTML page (inline style, no script, no external
 * asset; it reloads itself every 10 s). Every value goes through {@link #esc}: an SNI or an error text is
 * attacker-controlled.
 */
final class StatusPage {
    private static final String STYLE = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
            h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
            table{border-collapse:collapse;min-width:40em}th,td{padding:.25em .7em;border-bottom:1px solid #ddd;
            text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:
            tabular-nums}.up{color:#0a0;font-weight:bold}.down{color:#c00;font-weight:bold}.muted{color:#777}
            .bad{background:#fee}code{font-size:13px}""";

    private StatusPage() {
    }

    static String render(Status s) {
        StringBuilder sb = new StringBuilder(8192);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"10\">")
                .append("<title>Sluice status</title><style>").append(STYLE).append("</style></head><body>\n");
        sb.append("<h1>Sluice ").append(esc(s.build().version())).append("</h1>\n<p id=\"summary\">")
                .append("State: <b id=\"state\">").append(esc(s.state())).append("</b> · Health: <b id=\"health\"")
                .append(s.health().equals("ok") ? "" : " class=\"down\"").append('>').append(esc(s.health()))
                .append("</b> · Up ").append(esc(human(s.uptime()))).append(" (since ")
                .append(esc(s.started().toString())).append(") · Open connections ").append(s.connections())
                .append(" of ").append(s.maxConnections()).append(" (").append(s.maxPerClient())
                .append(" per client)<br><span class=\"muted\">Netty ").append(esc(s.build().netty())).append(", Java ")
                .append(esc(s.build().java())).append(", ").append(esc(s.build().transport()))
                .append(" transport · page taken ").append(esc(s.now().toString())).append("</span></p>\n");

        pair(sb, s);
        section(sb, "listeners", "Listeners", List.of("Name", "Address", "Transparent", "Bound"), s.listeners(),
                (b, l) -> row(b, false, esc(l.name()), esc(l.address()), esc(l.transparent()),
                        l.bound() ? "<span class=\"up\">yes</span>" : "<span class=\"down\">no</span>"));

        sb.append("<h2>Upstreams</h2>\n");
        if (s.upstreams().isEmpty()) {
            sb.append("<p class=\"muted\">No upstream is configured.</p>\n");
        }
        for (Status.UpstreamRow u : s.upstreams()) {
            section(sb, "upstream-" + u.name(), "Upstream " + u.name() + " (" + u.strategy() + ")",
                    List.of("Proxy", "Health", "Latency", "Successes", "Failures"), u.proxies(),
                    (b, p) -> row(b, !p.up(), esc(p.url()),
                            p.up() ? "<span class=\"up\">up</span>" : "<span class=\"down\">down</span>",
                            p.latencyMillis() < 0 ? "<span class=\"muted\">–</span>"
                                    : String.format(Locale.ROOT, "%.1f ms", p.latencyMillis()),
                            num(p.successes()), num(p.failures())));
        }

        section(sb, "rules", "Rules", List.of("Rule", "Action", "Upstream", "Hits"), s.rules(),
                (b, r) -> row(b, false, esc(r.name()), esc(r.action()), r.upstream() == null ? "" : esc(r.upstream()),
                        num(r.hits())));

        section(sb, "tunnels", "Busiest open connections (top " + Status.BUSIEST + ")",
                List.of("Client", "SNI", "Listener", "Rule", "Proxy", "Bytes up", "Bytes down", "Age"), s.busiest(),
                (b, t) -> row(b, false, esc(t.client()), esc(t.sni()), esc(t.listener()), esc(t.rule()),
                        t.relaying() ? esc(t.proxy()) : "<span class=\"muted\">(connecting)</span>",
                        num(t.bytesUp()), num(t.bytesDown()), esc(human(Duration.ofMillis(t.ageMillis())))));

        section(sb, "errors", "Recent errors (last " + Activity.KEEP + ", newest first)",
                List.of("Time", "Client", "SNI", "Outcome", "Error"), s.failures(),
                (b, f) -> row(b, false, esc(f.at().toString()), esc(f.client()), esc(f.sni()), esc(f.outcome()),
                        esc(f.error())));

        sb.append("<p class=\"muted\">Also: <a href=\"/status.json\">/status.json</a> · <a href=\"/metrics\">")
                .append("/metrics</a> · <a href=\"/healthz\">/healthz</a> · <a href=\"/readyz\">/readyz</a></p>\n")
                .append("</body></html>\n");
        return sb.toString();
    }

    /** One line for a gateway pair's name table: the peer, this box's half, the last good pull or the problem. */
    private static void pair(StringBuilder sb, Status s) {
        if (s.pair() == null) {
            return;
        }
        GatewayView.PairInfo p = s.pair();
        sb.append("<p id=\"dns-pair\">DNS pair: this box gives out half ").append(p.half())
                .append(" of the synthetic addresses; peer ").append(esc(p.peer())).append(" · last sync ")
                .append(p.lastSync() == null ? "never" : esc(human(Duration.between(p.lastSync(), s.now()))) + " ago");
        if (p.problem() != null) {
            sb.append(" · <b class=\"down\">").append(esc(p.problem())).append("</b> (since ")
                    .append(esc(p.problemSince().toString())).append(')');
        }
        sb.append("</p>\n");
    }

    private static <T> void section(StringBuilder sb, String id, String title, List<String> headings, List<T> rows,
                                    java.util.function.BiConsumer<StringBuilder, T> row) {
        sb.append("<h2>").append(esc(title)).append("</h2>\n");
        if (rows.isEmpty()) {
            sb.append("<p class=\"muted\" id=\"").append(esc(id)).append("\">None.</p>\n");
            return;
        }
        sb.append("<table id=\"").append(esc(id)).append("\"><tr>");
        for (String h : headings) {
            sb.append("<th>").append(esc(h)).append("</th>");
        }
        sb.append("</tr>\n");
        for (T r : rows) {
            row.accept(sb, r);
        }
        sb.append("</table>\n");
    }

    /** A table row of cells already escaped (or built of fixed markup). */
    private static void row(StringBuilder sb, boolean bad, String... cells) {
        sb.append(bad ? "<tr class=\"bad\">" : "<tr>");
        for (String c : cells) {
            boolean numeric = !c.isEmpty() && Character.isDigit(c.charAt(0)) && c.chars().allMatch(
                    ch -> Character.isDigit(ch) || ch == ',');
            sb.append(numeric ? "<td class=\"n\">" : "<td>").append(c).append("</td>");
        }
        sb.append("</tr>\n");
    }

    private static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        if (s < 86400) {
            return s / 3600 + " h " + s % 3600 / 60 + " min";
        }
        return s / 86400 + " d " + s % 86400 / 3600 + " h";
    }

    /** HTML text and attribute escaping; control and non-ASCII characters as numeric references. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c)); // no character reference for these
                    } else if (c > 0x7e) {
                        sb.append("&#").append((int) c).append(';');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
