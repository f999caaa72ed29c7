package dev.sluice.config;

import dev.sluice.net.Cidr;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Reads the {@code admin}, {@code limits}, {@code shutdown} and {@code logging} sections. */
final class OperationsReader {
    private static final Set<String> LEVELS = Set.of("off", "error", "warn", "info", "debug", "trace");
    private static final Pattern LOGGER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");
    private static final int MAX_CONNECTIONS = 1_000_000;

    private final YamlReader yaml;

    OperationsReader(YamlReader yaml) {
        this.yaml = yaml;
    }

    /** {@code listeners}: those already read, whose addresses the admin listener must not take. */
    Operations read(Section top, List<ListenerConfig> listeners) {
        Limits limits = limits(top.get("limits"));
        return new Operations(admin(top.get("admin"), listeners), limits, drain(top.get("shutdown")), logging(top.get("logging")));
    }

    private AdminConfig admin(Node node, List<ListenerConfig> listeners) {
        if (node == null || isOff(node)) {
            return null;
        }
        if (node instanceof ScalarNode s && isOn(s)) {
            notAListener(node, AdminConfig.DEFAULT_LISTEN, listeners);
            return new AdminConfig(AdminConfig.DEFAULT_LISTEN, AdminConfig.LOCAL);
        }
        Section f = yaml.section(node, "admin");
        Node listenNode = f.get("listen");
        Node clientsNode = f.get("clients");
        if (listenNode != null && isOff(listenNode)) {
            return null;
        }
        HostPort listen = listenNode != null ? yaml.value(listenNode, "admin.listen", OperationsReader::address)
                : AdminConfig.DEFAULT_LISTEN;
        List<Cidr> clients = clientsNode != null ? yaml.values(clientsNode, "admin.clients", Cidr::parse)
                : AdminConfig.LOCAL;
        if (listen == null) {
            return null;
        }
        if (clientsNode == null && !IpLiteral.parse(listen.host()).isLoopbackAddress()) {
            yaml.error(listenNode, "admin.listen: " + listen + " can be reached from other hosts; name who may "
                    + "ask in admin.clients (e.g. your Prometheus server's address)");
        }
        notAListener(listenNode != null ? listenNode : node, listen, listeners);
        return new AdminConfig(listen, List.copyOf(clients));
    }

    /** {@code run} would fail to bind the admin listener on an address a listener already holds. */
    private void notAListener(Node at, HostPort listen, List<ListenerConfig> listeners) {
        for (ListenerConfig l : listeners) {
            if (l.listen() != null && BindClash.clash(listen, l.listen())) {
                yaml.error(at, "admin.listen: " + listen + " is taken by listener '" + l.name() + "' ("
                        + l.listen() + ", line " + l.position().line() + "): use another port");
            }
        }
    }

    private static HostPort address(String text) {
        HostPort hp = HostPort.parse(text, true);
        if (!IpLiteral.is(hp.host())) {
            throw new IllegalArgumentException("'" + hp.host() + "' is not an IP address (e.g. 127.0.0.1:9091)");
        }
        return hp;
    }

    private Limits limits(Node node) {
        Limits d = Limits.DEFAULTS;
        if (node == null) {
            return d;
        }
        Section f = yaml.section(node, "limits");
        int all = f.has("max_connections") ? yaml.count(f.get("max_connections"), "limits.max_connections", 1,
                MAX_CONNECTIONS, d.maxConnections()) : d.maxConnections();
        int perClient = f.has("max_connections_per_client") ? yaml.count(f.get("max_connections_per_client"),
                "limits.max_connections_per_client", 1, MAX_CONNECTIONS, d.maxConnectionsPerClient())
                : Math.min(d.maxConnectionsPerClient(), all);
        if (perClient > all) {
            yaml.error(f.get("max_connections_per_client"), "limits.max_connections_per_client: " + perClient
                    + " is more than max_connections (" + all + ")");
        }
        return new Limits(all, perClient);
    }

    private Duration drain(Node node) {
        if (node == null) {
            return Operations.DEFAULT_DRAIN;
        }
        Section f = yaml.section(node, "shutdown");
        if (!f.has("drain")) {
            return Operations.DEFAULT_DRAIN;
        }
        Duration d = yaml.value(f.get("drain"), "shutdown.drain", Durations::parse); // 0s: close at once
        if (d != null && d.compareTo(Duration.ofHours(1)) > 0) {
            yaml.error(f.get("drain"), "shutdown.drain: at most 1h (systemd's TimeoutStopSec must be longer)");
        }
        return d == null ? Operations.DEFAULT_DRAIN : d;
    }

    private LoggingConfig logging(Node node) {
        if (node == null) {
            return LoggingConfig.DEFAULTS;
        }
        Section f = yaml.section(node, "logging");
        String level = f.has("level") ? yaml.value(f.get("level"), "logging.level", OperationsReader::level) : null;
        Map<String, String> loggers = new LinkedHashMap<>();
        if (f.has("loggers")) {
            Section l = yaml.entries(f.get("loggers"), "logging.loggers");
            for (Map.Entry<String, Node> e : l.entries().entrySet()) {
                if (!LOGGER.matcher(e.getKey()).matches()) {
                    yaml.error(l.key(e.getKey()), "logging.loggers: '" + e.getKey()
                            + "' is not a logger name (e.g. dev.sluice.upstream)");
                    continue;
                }
                String v = yaml.value(e.getValue(), "logging.loggers." + e.getKey(), OperationsReader::level);
                if (v != null) {
                    loggers.put(e.getKey(), v);
                }
            }
        }
        return new LoggingConfig(level, Map.copyOf(loggers));
    }

    private static String level(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(v)) {
            throw new IllegalArgumentException("expected off, error, warn, info, debug or trace, got '" + s + "'");
        }
        return v;
    }

    private static boolean isOff(Node node) {
        return node instanceof ScalarNode s && Set.of("off", "false", "no").contains(s.getValue());
    }

    private static boolean isOn(ScalarNode s) {
        return Set.of("on", "true", "yes").contains(s.getValue()) || s.getValue().isEmpty();
    }
}
