package dev.sluice.config;

import dev.sluice.net.Cidr;
import dev.sluice.net.Ports;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the {@code rules} section: conditions (sni, clients, ports, destinations), the action and its upstream,
 * which must be defined. A rule after one that matches everything can never match.
 */
final class RulesReader {
    private final YamlReader yaml;

    RulesReader(YamlReader yaml) {
        this.yaml = yaml;
    }

    /** The rules of the list {@code node} (null: none); {@code upstreams}: the names a rule may use. */
    List<RuleConfig> read(Node node, Set<String> upstreams) {
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
            String name = f.has("name") ? yaml.value(f.get("name"), what + " name", Names::name) : "#" + index;
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
            Action action = actionNode == null ? null : yaml.value(actionNode, what + " action", RulesReader::action);
            String upstream = upstream(f, what, action, actionNode, upstreams);
            RuleConfig rule = new RuleConfig(name, List.copyOf(sni), List.copyOf(clients), List.copyOf(ports),
                    List.copyOf(destinations), action, upstream, yaml.position(item));
            boolean noCondition = !f.has("sni") && !f.has("clients") && !f.has("ports") && !f.has("destinations");
            if (catchAll != null) {
                yaml.error(item, what + " can never match: rule '" + catchAll.name() + "' at line "
                        + catchAll.position().line() + " matches every connection before it");
            } else if (noCondition && f.node() instanceof MappingNode) {
                catchAll = rule; // judged by the keys written, so a bad value does not make a rule look catch-all
            }
            out.add(rule);
        }
        return out;
    }

    /** The rule's upstream: defined, and only with action splice, which needs one. */
    private String upstream(Section f, String what, Action action, Node actionNode, Set<String> upstreams) {
        if (!f.has("upstream")) {
            if (action == Action.SPLICE) {
                yaml.error(actionNode, what + ": action splice needs an 'upstream'");
            }
            return null;
        }
        String upstream = yaml.scalar(f.get("upstream"), what + " upstream");
        if (upstream != null && !upstreams.contains(upstream)) {
            yaml.error(f.get("upstream"), what + ": unknown upstream '" + upstream + "'"
                    + (upstreams.isEmpty() ? " (no upstreams are defined)"
                    : " (defined: " + String.join(", ", upstreams) + ")"));
        }
        if (action != null && action != Action.SPLICE) {
            yaml.error(f.key("upstream"), what + ": 'upstream' only applies to action splice, not "
                    + action.label());
        }
        return upstream;
    }

    private <T> List<T> nonEmpty(Node node, String what, List<T> values) {
        if (values.isEmpty() && node instanceof SequenceNode s && s.getValue().isEmpty()) {
            yaml.error(node, what + ": empty list matches nothing; leave the key out to match anything");
        }
        return values;
    }

    private static Action action(String s) {
        return switch (s) {
            case "splice" -> Action.SPLICE;
            case "direct" -> Action.DIRECT;
            case "reject" -> Action.REJECT;
            default -> throw new IllegalArgumentException("expected splice, direct or reject, got '" + s + "'");
        };
    }
}
