package dev.sluice;

import dev.sluice.net.HostName;

import dev.sluice.config.Action;
import dev.sluice.config.ListenerConfig;
import dev.sluice.config.NameSpec;
import dev.sluice.policy.Decision;
import dev.sluice.policy.Flow;
import dev.sluice.policy.NamePattern;
import dev.sluice.upstream.Proxy;
import dev.sluice.config.AuthConfig;
import dev.sluice.config.AuthScheme;
import dev.sluice.upstream.ProxyCredentials;
import dev.sluice.upstream.Upstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;

/** What the gateway would do with one connection, in words: {@code sluice explain}. */
final class Explain {
    private Explain() {
    }

    static String explain(Routing routing, String sni, InetAddress client, InetSocketAddress dst,
                          ListenerConfig listener) {
        int port = dst != null ? dst.getPort() : listener.defaultPort();
        StringBuilder sb = new StringBuilder();
        sb.append(sni == null ? "(no sni)" : sni).append(" client ").append(client.getHostAddress())
                .append(" listener ").append(listener.name())
                .append(" dst ").append(dst == null ? "unknown" : dst.getAddress().getHostAddress() + ":" + port)
                .append(" port ").append(port).append('\n');
        if (!routing.policy().allowsClient(client)) {
            sb.append("  client ").append(client.getHostAddress())
                    .append(" is not in clients: connection reset at once (outcome denied_client)\n");
            return sb.toString();
        }
        Flow flow = new Flow(client, dst, port, sni, List.of(), listener.name());
        Decision d = routing.policy().decide(flow);
        if (d.rule() == null) {
            sb.append("  no rule matches: reject (outcome rejected)\n");
            return sb.toString();
        }
        sb.append("  rule ").append(d.ruleName()).append(" (#").append(d.rule().index() + 1).append(", ")
                .append(d.rule().position()).append(')');
        if (sni != null && d.rule().hasSni()) {
            NamePattern p = d.rule().patternFor(HostName.normalize(sni));
            sb.append(" matches sni ").append(p);
        } else {
            sb.append(d.rule().hasSni() ? "" : " (no sni condition)");
        }
        sb.append('\n');
        if (d.action() == Action.REJECT) {
            sb.append("  reject: refused with a TLS access_denied alert (outcome rejected)\n");
        } else if (d.host() == null) {
            sb.append("  ").append(d.action().label())
                    .append(": no server name and no original destination: refused with a TLS unrecognized_name alert "
                    + "(outcome rejected)\n");
        } else if (d.action() == Action.DIRECT) {
            sb.append("  direct: the gateway connects to ").append(d.target()).append(" itself\n");
        } else {
            Upstream up = routing.upstreams().get(d.upstream());
            List<Proxy> candidates = up.candidates().order();
            ProxyCredentials credentials = up.credentialsFor(client);
            sb.append("  splice via upstream ").append(up.name()).append(": CONNECT ").append(d.target())
                    .append(" via ").append(candidates.stream().map(Proxy::toString)
                            .collect(Collectors.joining(", then ")))
                    .append('\n');
            for (Proxy proxy : candidates) {
                sb.append("  auth to ").append(proxy).append(": ")
                        .append(credentials == null ? "none configured (a 407 fails as proxy_auth_failed)"
                                : offered(credentials.config(), proxy)).append('\n');
            }
            var p = up.policy();
            sb.append("  strategy ").append(p.strategy().label())
                    .append(", up to ").append(candidates.size()).append(" attempts within ")
                    .append(dev.sluice.config.Durations.format(p.deadline())).append(", health: ")
                    .append(p.healthTarget() == null ? "from traffic only"
                            : "CONNECT " + p.healthTarget() + " every " + dev.sluice.config.Durations.format(
                                    p.healthInterval()))
                    .append(" (out after ").append(p.fall()).append(" failures, back after ").append(p.rise())
                    .append(" successes)\n");
        }
        return sb.toString();
    }

    /** The schemes a proxy would be offered, in order, and who the gateway is for each. */
    private static String offered(AuthConfig auth, Proxy proxy) {
        StringBuilder sb = new StringBuilder();
        for (AuthScheme s : auth.schemes()) {
            sb.append(sb.length() == 0 ? "" : ", then ").append(s.label()).append(" as ").append(auth.who(s));
            if (s == AuthScheme.NEGOTIATE) {
                sb.append(" (SPN ").append(auth.negotiate().spnFor(proxy.url().host())).append(", ")
                        .append(auth.negotiate().mechanism().name().toLowerCase(java.util.Locale.ROOT)).append(')');
            }
        }
        if (auth.basicOnly()) {
            sb.append(" (sent with the first CONNECT)");
        } else {
            sb.append(" (as the proxy asks; what worked is sent at once to later tunnels)");
        }
        return sb.toString();
    }
}
