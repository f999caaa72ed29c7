package dev.sluice.config;

import dev.sluice.net.Cidr;
import java.util.List;
import java.util.Map;

/**
 * A whole configuration file, parsed and validated. Immutable. {@code warnings} are things to fix that do not stop
 * it from being used (a password file others may read), each with its position. {@code dns} is null when the DNS
 * responder is off.
 */
public record GatewayConfig(String source, List<ListenerConfig> listeners, List<Cidr> clients,
                            Map<String, UpstreamConfig> upstreams, List<RuleConfig> rules, Timeouts timeouts,
                            String accessLog, Operations operations, DnsConfig dns,
                            List<ConfigError> warnings) {

    /** One line for {@code sluice check}. */
    public String summary() {
        int proxies = upstreams.values().stream().mapToInt(u -> u.proxies().size()).sum();
        return source + ": OK: " + plural(listeners.size(), "listener") + ", " + plural(clients.size(), "client range")
                + ", " + plural(upstreams.size(), "upstream") + " (" + plural(proxies, "proxy", "proxies") + "), "
                + plural(rules.size(), "rule")
                + (dns == null ? "" : ", DNS responder on " + plural(dns.listen().size(), "address", "addresses"))
                + (dns == null || dns.pair() == null ? "" : " (half " + dns.pair().half() + " of a pair with "
                        + dns.pair().url() + ")");
    }

    private static String plural(int n, String one) {
        return plural(n, one, one + "s");
    }

    private static String plural(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
