package dev.sluice.config;

import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.net.Ports;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** Reads the {@code listeners} section: names, listen addresses (which must not clash), transparency, peek. */
final class ListenersReader {
    private final YamlReader yaml;

    ListenersReader(YamlReader yaml) {
        this.yaml = yaml;
    }

    /** The listeners of the {@code listeners} list {@code node} (null: the key is missing, already reported). */
    List<ListenerConfig> read(Node node) {
        List<ListenerConfig> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        List<Node> items = yaml.list(node, "listeners");
        if (items.isEmpty() && node instanceof SequenceNode) {
            yaml.error(node, "listeners: at least one listener is needed");
        }
        Map<String, Node> names = new HashMap<>();
        Map<HostPort, Node> addresses = new LinkedHashMap<>();
        for (Node item : items) {
            int index = out.size() + 1;
            Section f = yaml.section(item, "listener #" + index);
            Node listenNode = f.require("listen", "listener #" + index);
            HostPort listen = listenNode == null ? null : yaml.value(listenNode, "listen", ListenersReader::address);
            String name = f.has("name") ? yaml.value(f.get("name"), "listener name", Names::name)
                    : listen != null ? listen.toString() : "listener-" + index;
            Transparent transparent = f.has("transparent") ? yaml.value(f.get("transparent"), "transparent",
                    ListenersReader::transparent) : Transparent.OFF;
            String peek = f.has("peek") ? yaml.value(f.get("peek"), "peek", ListenersReader::peek) : "tls";
            Integer defaultPort = f.has("default_port") ? yaml.value(f.get("default_port"), "default_port",
                    Ports::parse) : Integer.valueOf(ListenerConfig.HTTP.equals(peek) ? 80 : 443);
            if (name != null && names.putIfAbsent(name, item) != null) {
                yaml.error(f.has("name") ? f.get("name") : item, "listener name '" + name
                        + "' is used twice (first at line " + yaml.position(names.get(name)).line() + ")");
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

    private static HostPort address(String text) {
        HostPort hp = HostPort.parse(text, true);
        if (!IpLiteral.is(hp.host())) {
            throw new IllegalArgumentException("'" + hp.host()
                    + "' is not an IP address (use 0.0.0.0, [::] or a local address; no DNS at start-up)");
        }
        return hp;
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
        if (!s.equals(ListenerConfig.TLS) && !s.equals(ListenerConfig.HTTP)) {
            throw new IllegalArgumentException("expected tls or http, got '" + s + "'");
        }
        return s;
    }
}
