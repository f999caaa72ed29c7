package dev.sluice.config;

import dev.sluice.net.Ports;

import dev.sluice.net.IpLiteral;
import dev.sluice.net.HostPort;

import dev.sluice.net.Cidr;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads {@code gateway.yaml} into a {@link GatewayConfig}. It reports every error it finds, each with its
 * {@code file:line:col}, instead of stopping at the first; nothing is looked up in DNS.
 */
public final class ConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final String file;
    private final Path baseDir;
    private final YamlReader yaml;
    private final ConfigFiles files;
    private final AuthLoader auth;

    private ConfigLoader(String file, Path baseDir) {
        this.file = file;
        this.baseDir = baseDir;
        this.yaml = new YamlReader(file);
        this.files = new ConfigFiles(yaml, baseDir);
        this.auth = new AuthLoader(yaml, files);
    }

    /** Loads a configuration file; relative paths inside it (password_file, access_log) are relative to it. */
    public static GatewayConfig load(Path path) throws ConfigException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigError(new Position(path.toString(), 1, 1),
                    "cannot read configuration: " + describe(e))));
        }
        Path dir = path.toAbsolutePath().getParent();
        return parse(path.toString(), text, dir);
    }

    /** Parses configuration text; {@code file} is the name used in error positions. */
    public static GatewayConfig parse(String file, String text, Path baseDir) throws ConfigException {
        return new ConfigLoader(file, baseDir).read(text);
    }

    private GatewayConfig read(String text) throws ConfigException {
        Node root = compose(text);
        if (root == null) {
            throw new ConfigException(yaml.errors());
        }
        Section top = yaml.section(root, "configuration");
        List<ListenerConfig> listeners = listeners(top);
        List<Cidr> clients = List.of();
        Node clientsNode = top.require("clients", "configuration");
        if (clientsNode != null) {
            clients = yaml.values(clientsNode, "clients", Cidr::parse);
            if (clients.isEmpty() && yaml.errors().isEmpty()) {
                yaml.error(clientsNode, "clients: no client range: nobody could use the gateway");
            }
        }
        Map<String, UpstreamConfig> upstreams = upstreams(top.get("upstreams"));
        List<RuleConfig> rules = rules(top.get("rules"), upstreams);
        Timeouts timeouts = timeouts(top.get("timeouts"));
        String accessLog = accessLog(top.get("access_log"));
        Operations operations = new OperationsLoader(yaml).read(top, listeners);
        yaml.finish();
        if (!yaml.errors().isEmpty()) {
            throw new ConfigException(yaml.errors());
        }
        return new GatewayConfig(file, List.copyOf(listeners), List.copyOf(clients), Map.copyOf(upstreams),
                List.copyOf(rules), timeouts, accessLog, operations, List.copyOf(yaml.warnings()));
    }

    private Node compose(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true); // reported by YamlReader with both lines
        options.setMaxAliasesForCollections(20);
        options.setNestingDepthLimit(20);
        options.setCodePointLimit(4 * 1024 * 1024);
        try {
            Node root = new Yaml(options).compose(new StringReader(text));
            if (root == null) {
                yaml.error(new Position(file, 1, 1), "the configuration is empty");
            }
            return root;
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            Position p = m == null ? new Position(file, 1, 1) : new Position(file, m.getLine() + 1, m.getColumn() + 1);
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            String context = e.getContext() != null ? " (" + e.getContext() + ")" : "";
            yaml.error(p, "YAML syntax: " + problem + context);
            return null;
        } catch (YAMLException e) {
            yaml.error(new Position(file, 1, 1), "YAML: " + e.getMessage());
            return null;
        } catch (RuntimeException e) { // SnakeYAML 2.5 throws IllegalArgumentException for a tag such as !%1E
            yaml.error(new Position(file, 1, 1), "YAML: " + (e.getMessage() != null ? e.getMessage()
                    : e.getClass().getSimpleName()));
            return null;
        }
    }

    private List<ListenerConfig> listeners(Section top) {
        List<ListenerConfig> out = new ArrayList<>();
        Node node = top.require("listeners", "configuration");
        if (node == null) {
            return out;
        }
        List<Node> items = yaml.list(node, "listeners");
        if (items.isEmpty() && node instanceof org.yaml.snakeyaml.nodes.SequenceNode) {
            yaml.error(node, "listeners: at least one listener is needed");
        }
        Map<String, Node> names = new HashMap<>();
        Map<HostPort, Node> addresses = new LinkedHashMap<>();
        for (Node item : items) {
            int index = out.size() + 1;
            Section f = yaml.section(item, "listener #" + index);
            Node listenNode = f.require("listen", "listener #" + index);
            HostPort listen = listenNode == null ? null : yaml.value(listenNode, "listen", ConfigLoader::listenAddress);
            String name = f.has("name") ? yaml.value(f.get("name"), "listener name", ConfigLoader::name)
                    : listen != null ? listen.toString() : "listener-" + index;
            Transparent transparent = f.has("transparent") ? yaml.value(f.get("transparent"), "transparent",
                    ConfigLoader::transparent) : Transparent.OFF;
            String peek = f.has("peek") ? yaml.value(f.get("peek"), "peek", ConfigLoader::peek) : "tls";
            Integer defaultPort = f.has("default_port") ? yaml.value(f.get("default_port"), "default_port",
                    Ports::parse) : Integer.valueOf(443);
            if (name != null && names.putIfAbsent(name, item) != null) {
                yaml.error(f.has("name") ? f.get("name") : item, "listener name '" + name + "' is used twice (first at line "
                        + yaml.position(names.get(name)).line() + ")");
            }
            if (listen != null) {
                for (Map.Entry<HostPort, Node> other : addresses.entrySet()) {
                    if (BindClash.clash(listen, other.getKey())) {
                        yaml.error(listenNode, "listen: " + listen + " overlaps " + other.getKey() + " (line "
                                + yaml.position(other.getValue()).line() + "): both cannot be bound");
                    }
                }
                addresses.put(listen, listenNode);
            }
            out.add(new ListenerConfig(name, listen, transparent, peek, defaultPort == null ? 443 : defaultPort,
                    yaml.position(item)));
        }
        return out;
    }

    private Map<String, UpstreamConfig> upstreams(Node node) {
        Map<String, UpstreamConfig> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        Section all = yaml.entries(node, "upstreams");
        for (Map.Entry<String, Node> e : all.entries().entrySet()) {
            String name = e.getKey();
            String what = "upstream '" + name + "'";
            if (!NAME.matcher(name).matches()) {
                yaml.error(all.key(name), what + ": names use letters, digits, '.', '_' and '-'");
            }
            Section f = yaml.section(e.getValue(), what);
            Node proxiesNode = f.require("proxies", what);
            List<ProxyUrl> proxies = new ArrayList<>();
            if (proxiesNode != null) {
                for (Node p : yaml.list(proxiesNode, what + " proxies")) {
                    ProxyUrl url = yaml.value(p, "proxy URL", ProxyUrl::parse);
                    if (url != null) {
                        proxies.add(url);
                    }
                }
                if (proxies.isEmpty() && proxiesNode instanceof org.yaml.snakeyaml.nodes.SequenceNode s
                        && s.getValue().isEmpty()) {
                    yaml.error(proxiesNode, what + ": proxies: at least one proxy is needed");
                }
            }
            AuthConfig auth = f.has("auth") ? this.auth.read(yaml.section(f.get("auth"), what + " auth"),
                    what + " auth", proxies) : null;
            TlsConfig tls = tls(f, what, proxies);
            boolean forwardedFor = f.has("forwarded_for") && Boolean.TRUE.equals(
                    yaml.value(f.get("forwarded_for"), what + " forwarded_for", ConfigLoader::bool));
            List<UpstreamConfig.ClientCredentials> byClient = f.has("credentials_by_client")
                    ? credentialsByClient(f.get("credentials_by_client"), what, proxies) : List.of();
            UpstreamPolicy policy = upstreamPolicy(f, what);
            out.put(name, new UpstreamConfig(name, List.copyOf(proxies), auth, byClient, tls, forwardedFor, policy,
                    yaml.position(all.key(name))));
        }
        return out;
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

    private static Boolean bool(String s) {
        return switch (s) {
            case "true", "yes", "on" -> Boolean.TRUE;
            case "false", "no", "off" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("expected true or false, got '" + s + "'");
        };
    }

    private UpstreamPolicy upstreamPolicy(Section f, String what) {
        UpstreamPolicy d = UpstreamPolicy.DEFAULTS;
        UpstreamPolicy.Strategy strategy = d.strategy();
        if (f.has("strategy")) {
            UpstreamPolicy.Strategy s = yaml.value(f.get("strategy"), what + " strategy", ConfigLoader::strategy);
            strategy = s == null ? strategy : s;
        }
        int fastestOf = f.has("fastest_of") ? count(f.get("fastest_of"), what + " fastest_of", 2, 16, 0) : 0;
        int attempts = d.attempts();
        Duration deadline = d.deadline();
        if (f.has("retry")) {
            Section r = yaml.section(f.get("retry"), what + " retry");
            attempts = r.has("attempts") ? count(r.get("attempts"), what + " retry.attempts", 1, 100, attempts)
                    : attempts;
            deadline = duration(r, what + " retry", "deadline", deadline);
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
            interval = duration(h, what + " health", "interval", interval);
            timeout = duration(h, what + " health", "timeout", timeout);
            fall = h.has("fall") ? count(h.get("fall"), what + " health.fall", 1, 100, fall) : fall;
            rise = h.has("rise") ? count(h.get("rise"), what + " health.rise", 1, 100, rise) : rise;
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

    private List<UpstreamConfig.ClientCredentials> credentialsByClient(Node node, String what,
                                                                       List<ProxyUrl> proxies) {
        List<UpstreamConfig.ClientCredentials> out = new ArrayList<>();
        int index = 0;
        for (Node item : yaml.list(node, what + " credentials_by_client")) {
            String entry = what + " credentials_by_client #" + ++index;
            Section f = yaml.section(item, entry);
            Node clientsNode = f.require("clients", entry);
            List<Cidr> clients = clientsNode == null ? List.of() : yaml.values(clientsNode, entry + " clients", Cidr::parse);
            AuthConfig auth = this.auth.read(f, entry, proxies);
            if (auth != null && !clients.isEmpty()) {
                out.add(new UpstreamConfig.ClientCredentials(List.copyOf(clients), auth));
            }
        }
        return List.copyOf(out);
    }

    private List<RuleConfig> rules(Node node, Map<String, UpstreamConfig> upstreams) {
        List<RuleConfig> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        Map<String, Node> names = new HashMap<>();
        RuleConfig catchAll = null;
        for (Node item : yaml.list(node, "rules")) {
            int index = out.size() + 1;
            String what = "rule #" + index;
            Section f = yaml.section(item, what);
            String name = f.has("name") ? yaml.value(f.get("name"), what + " name", ConfigLoader::name) : "#" + index;
            if (name != null && f.has("name")) {
                what = "rule '" + name + "'";
                if (names.putIfAbsent(name, item) != null) {
                    yaml.error(f.get("name"), what + ": name is used twice (first at line "
                            + yaml.position(names.get(name)).line() + ")");
                }
            }
            List<NameSpec> sni = f.has("sni") ? nonEmpty(f.get("sni"), what + " sni",
                    yaml.values(f.get("sni"), what + " sni", NameSpec::parse)) : List.of();
            List<Cidr> clients = f.has("clients") ? nonEmpty(f.get("clients"), what + " clients",
                    yaml.values(f.get("clients"), what + " clients", Cidr::parse)) : List.of();
            List<Integer> ports = f.has("ports") ? nonEmpty(f.get("ports"), what + " ports",
                    yaml.values(f.get("ports"), what + " ports", Ports::parse)) : List.of();
            List<Cidr> destinations = f.has("destinations") ? nonEmpty(f.get("destinations"),
                    what + " destinations", yaml.values(f.get("destinations"), what + " destinations", Cidr::parse))
                    : List.of();
            Node actionNode = f.require("action", what);
            Action action = actionNode == null ? null : yaml.value(actionNode, what + " action", ConfigLoader::action);
            String upstream = null;
            if (f.has("upstream")) {
                upstream = yaml.scalar(f.get("upstream"), what + " upstream");
                if (upstream != null && !upstreams.containsKey(upstream)) {
                    yaml.error(f.get("upstream"), what + ": unknown upstream '" + upstream + "'"
                            + (upstreams.isEmpty() ? " (no upstreams are defined)"
                            : " (defined: " + String.join(", ", upstreams.keySet()) + ")"));
                }
                if (action != null && action != Action.SPLICE) {
                    yaml.error(f.key("upstream"), what + ": 'upstream' only applies to action splice, not "
                            + action.label());
                }
            } else if (action == Action.SPLICE) {
                yaml.error(actionNode, what + ": action splice needs an 'upstream'");
            }
            RuleConfig rule = new RuleConfig(name, List.copyOf(sni), List.copyOf(clients), List.copyOf(ports),
                    List.copyOf(destinations), action, upstream, yaml.position(item));
            boolean noCondition = !f.has("sni") && !f.has("clients") && !f.has("ports") && !f.has("destinations");
            if (catchAll != null) {
                yaml.error(item, what + " can never match: rule '" + catchAll.name() + "' at line "
                        + catchAll.position().line() + " matches every connection before it");
            } else if (noCondition && f.node() instanceof org.yaml.snakeyaml.nodes.MappingNode) {
                catchAll = rule; // judged by the keys written, so a bad value does not make a rule look catch-all
            }
            out.add(rule);
        }
        return out;
    }

    private <T> List<T> nonEmpty(Node node, String what, List<T> values) {
        if (values.isEmpty() && node instanceof org.yaml.snakeyaml.nodes.SequenceNode s && s.getValue().isEmpty()) {
            yaml.error(node, what + ": empty list matches nothing; leave the key out to match anything");
        }
        return values;
    }

    private Timeouts timeouts(Node node) {
        if (node == null) {
            return Timeouts.DEFAULTS;
        }
        Section f = yaml.section(node, "timeouts");
        Timeouts d = Timeouts.DEFAULTS;
        return new Timeouts(duration(f, "client_hello", d.clientHello()), duration(f, "connect", d.connect()),
                duration(f, "idle", d.idle()));
    }

    private Duration duration(Section f, String key, Duration fallback) {
        return yaml.duration(f, "timeouts", key, fallback);
    }

    private Duration duration(Section f, String section, String key, Duration fallback) {
        return yaml.duration(f, section, key, fallback);
    }

    private int count(Node node, String what, int min, int max, int fallback) {
        return yaml.count(node, what, min, max, fallback);
    }

    private String accessLog(Node node) {
        if (node == null) {
            return "stdout";
        }
        String s = yaml.scalar(node, "access_log");
        if (s == null) {
            return "stdout";
        }
        if (s.equals("stdout") || s.equals("stderr")) {
            return s;
        }
        if (s.equals("off") || s.equals("false")) {
            return "off";
        }
        if (s.isBlank()) {
            yaml.error(node, "access_log: empty; use stdout, stderr, off or a file path");
            return "stdout";
        }
        Path path = files.resolve(node, "access_log", s);
        if (path == null) {
            return "stdout";
        }
        Path dir = path.toAbsolutePath().getParent();
        if (Files.isDirectory(path)) {
            yaml.error(node, "access_log: " + path + " is a directory; name a file in it");
        } else if (dir != null && !Files.isDirectory(dir)) {
            yaml.error(node, "access_log: directory " + dir + " does not exist");
        }
        return path.toString();
    }

    private static HostPort listenAddress(String text) {
        HostPort hp = HostPort.parse(text, true);
        if (!IpLiteral.is(hp.host())) {
            throw new IllegalArgumentException("'" + hp.host()
                    + "' is not an IP address (use 0.0.0.0, [::] or a local address; no DNS at start-up)");
        }
        return hp;
    }

    private static String name(String s) {
        if (!NAME.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + s + "': names use letters, digits, '.', '_' and '-' (max 63)");
        }
        return s;
    }

    private static Transparent transparent(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "off", "false", "no" -> Transparent.OFF;
            case "redirect" -> Transparent.REDIRECT;
            case "tproxy" -> Transparent.TPROXY;
            default -> throw new IllegalArgumentException("expected off, redirect or tproxy, got '" + s + "'");
        };
    }

    private static String peek(String s) {
        if (!s.equals("tls")) {
            throw new IllegalArgumentException("expected tls, got '" + s + "'");
        }
        return s;
    }

    private static Action action(String s) {
        return switch (s) {
            case "splice" -> Action.SPLICE;
            case "direct" -> Action.DIRECT;
            case "reject" -> Action.REJECT;
            default -> throw new IllegalArgumentException("expected splice, direct or reject, got '" + s + "'");
        };
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.charset.CharacterCodingException) { // its own message is "Input length = 1"
            return "not UTF-8 text";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
