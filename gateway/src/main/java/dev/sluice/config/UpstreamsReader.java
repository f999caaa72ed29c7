package dev.sluice.config;

import dev.sluice.net.Cidr;
import dev.sluice.net.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the {@code upstreams} section: each upstream's proxies, its auth (by {@link AuthReader}), TLS to the
 * proxies, per-client credentials, and how proxies are chosen, retried and health-checked.
 */
final class UpstreamsReader {
    private final YamlReader yaml;
    private final ConfigFiles files;
    private final AuthReader auth;

    UpstreamsReader(YamlReader yaml, ConfigFiles files) {
        this.yaml = yaml;
        this.files = files;
        this.auth = new AuthReader(yaml, files);
    }

    /** The upstreams of the mapping {@code node} by name, in file order (null: none). */
    Map<String, UpstreamConfig> read(Node node) {
        Map<String, UpstreamConfig> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        Section all = yaml.entries(node, "upstreams");
        for (Map.Entry<String, Node> e : all.entries().entrySet()) {
            String name = e.getKey();
            String what = "upstream '" + name + "'";
            if (!Names.NAME.matcher(name).matches()) {
                yaml.error(all.key(name), what + ": names use letters, digits, '.', '_' and '-'");
            }
            out.put(name, upstream(yaml.section(e.getValue(), what), name, what, all.key(name)));
        }
        return out;
    }

    private UpstreamConfig upstream(Section f, String name, String what, Node at) {
        Node proxiesNode = f.require("proxies", what);
        List<ProxyUrl> proxies = new ArrayList<>();
        if (proxiesNode != null) {
            for (Node p : yaml.list(proxiesNode, what + " proxies")) {
                ProxyUrl url = yaml.value(p, "proxy URL", ProxyUrl::parse);
                if (url != null) {
                    proxies.add(url);
                }
            }
            if (proxies.isEmpty() && proxiesNode instanceof SequenceNode s && s.getValue().isEmpty()) {
                yaml.error(proxiesNode, what + ": proxies: at least one proxy is needed");
            }
        }
        AuthConfig auth = f.has("auth") ? this.auth.read(yaml.section(f.get("auth"), what + " auth"),
                what + " auth", proxies) : null;
        TlsConfig tls = tls(f, what, proxies);
        boolean forwardedFor = f.has("forwarded_for") && Boolean.TRUE.equals(
                yaml.value(f.get("forwarded_for"), what + " forwarded_for", UpstreamsReader::bool));
        List<UpstreamConfig.ClientCredentials> byClient = f.has("credentials_by_client")
                ? credentialsByClient(f.get("credentials_by_client"), what, proxies) : List.of();
        HttpMode http = f.has("http") ? yaml.value(f.get("http"), what + " http", HttpMode::parse) : null;
        UpstreamPolicy policy = policy(f, what);
        return new UpstreamConfig(name, List.copyOf(proxies), auth, byClient, tls, forwardedFor,
                http == null ? HttpMode.ABSOLUTE : http, policy,
                yaml.position(at));
    }

    private TlsConfig tls(Section f, String what, List<ProxyUrl> proxies) {
        Path ca = f.has("ca_file") ? files.certificates(f.get("ca_file"), what + " ca_file") : null;
        Path cert = f.has("client_cert") ? files.certificates(f.get("client_cert"), what + " client_cert") : null;
        Path key = f.has("client_key") ? files.readable(f.get("client_key"), what + " client_key") : null;
        if (f.has("client_cert") != f.has("client_key")) {
            Node n = f.has("client_cert") ? f.key("client_cert") : f.key("client_key");
            yaml.error(n, what + ": client_cert and client_key go together (mutual TLS)");
        }
        boolean anyTls = proxies.stream().anyMatch(ProxyUrl::tls);
        for (String k : List.of("ca_file", "client_cert", "client_key")) {
            if (f.has(k) && !anyTls && !proxies.isEmpty()) {
                yaml.error(f.key(k), what + ": " + k + " only applies to https:// proxies");
            }
        }
        return new TlsConfig(ca, cert, key);
    }

    private List<UpstreamConfig.ClientCredentials> credentialsByClient(Node node, String what,
                                                                       List<ProxyUrl> proxies) {
        List<UpstreamConfig.ClientCredentials> out = new ArrayList<>();
        int index = 0;
        for (Node item : yaml.list(node, what + " credentials_by_client")) {
            String entry = what + " credentials_by_client #" + ++index;
            Section f = yaml.section(item, entry); // clients, and the keys of an auth mapping
            Node clientsNode = f.require("clients", entry);
            List<Cidr> clients = clientsNode == null ? List.of()
                    : yaml.values(clientsNode, entry + " clients", Cidr::parse);
            AuthConfig auth = this.auth.read(f, entry, proxies);
            if (auth != null && !clients.isEmpty()) {
                out.add(new UpstreamConfig.ClientCredentials(List.copyOf(clients), auth));
            }
        }
        return List.copyOf(out);
    }

    /** strategy, fastest_of, retry and health. */
    private UpstreamPolicy policy(Section f, String what) {
        UpstreamPolicy d = UpstreamPolicy.DEFAULTS;
        UpstreamPolicy.Strategy strategy = d.strategy();
        if (f.has("strategy")) {
            UpstreamPolicy.Strategy s = yaml.value(f.get("strategy"), what + " strategy", UpstreamsReader::strategy);
            strategy = s == null ? strategy : s;
        }
        int fastestOf = f.has("fastest_of") ? yaml.count(f.get("fastest_of"), what + " fastest_of", 2, 16, 0) : 0;
        int attempts = d.attempts();
        Duration deadline = d.deadline();
        if (f.has("retry")) {
            Section r = yaml.section(f.get("retry"), what + " retry");
            attempts = r.has("attempts") ? yaml.count(r.get("attempts"), what + " retry.attempts", 1, 100, attempts)
                    : attempts;
            deadline = yaml.duration(r, what + " retry", "deadline", deadline);
        }
        HostPort target = null;
        Duration interval = d.healthInterval();
        Duration timeout = d.healthTimeout();
        int fall = d.fall();
        int rise = d.rise();
        if (f.has("health")) {
            Section h = yaml.section(f.get("health"), what + " health");
            if (h.has("target")) {
                target = yaml.value(h.get("target"), what + " health.target", HostPort::parse);
            }
            interval = yaml.duration(h, what + " health", "interval", interval);
            timeout = yaml.duration(h, what + " health", "timeout", timeout);
            fall = h.has("fall") ? yaml.count(h.get("fall"), what + " health.fall", 1, 100, fall) : fall;
            rise = h.has("rise") ? yaml.count(h.get("rise"), what + " health.rise", 1, 100, rise) : rise;
        }
        return new UpstreamPolicy(strategy, fastestOf, attempts, deadline, fall, rise, target, interval, timeout);
    }

    private static UpstreamPolicy.Strategy strategy(String s) {
        return switch (s) {
            case "failover" -> UpstreamPolicy.Strategy.FAILOVER;
            case "round_robin" -> UpstreamPolicy.Strategy.ROUND_ROBIN;
            case "least_latency" -> UpstreamPolicy.Strategy.LEAST_LATENCY;
            default -> throw new IllegalArgumentException("expected failover, round_robin or least_latency, got '"
                    + s + "'");
        };
    }

    private static Boolean bool(String s) {
        return switch (s) {
            case "true", "yes", "on" -> Boolean.TRUE;
            case "false", "no", "off" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("expected true or false, got '" + s + "'");
        };
    }
}
