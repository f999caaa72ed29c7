package dev.sluice.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * One YAML mapping being read. Its reader declares the keys it knows by asking for them ({@link #get},
 * {@link #has}, {@link #key}, {@link #require}), so the allowed keys are exactly the keys some code reads: they
 * cannot drift apart. Once the whole file is read, {@link YamlReader#finish()} reports each key nobody asked for as
 * unknown, with a "did you mean" or the list of allowed keys. A reader therefore asks for every key it knows on
 * every path (before any early return), usually by fetching them all at its top.
 */
final class Section {
    private final Node node;
    private final String what;
    private final Map<String, Node> keys;
    private final Map<String, Node> values;
    private final boolean open;
    /** Where its unknown-key errors go in the error list: where the reader opened it, as if found then. */
    private final int errorIndex;
    private final Set<String> asked = new LinkedHashSet<>();
    private final YamlReader reader;

    Section(YamlReader reader, Node node, String what, Map<String, Node> keys, Map<String, Node> values,
            boolean open, int errorIndex) {
        this.reader = reader;
        this.node = node;
        this.what = what;
        this.keys = keys;
        this.values = values;
        this.open = open;
        this.errorIndex = errorIndex;
    }

    /** The mapping itself (or whatever stood where a mapping was expected). */
    Node node() {
        return node;
    }

    /** The value of {@code key}, or null when absent. */
    Node get(String key) {
        asked.add(key);
        return values.get(key);
    }

    boolean has(String key) {
        asked.add(key);
        return values.containsKey(key);
    }

    /** The node of the key itself (for errors about the key rather than its value). */
    Node key(String key) {
        asked.add(key);
        return keys.get(key);
    }

    /** The value of a required key, or null with an error at the mapping. */
    Node require(String key, String what) {
        Node n = get(key);
        if (n == null && node instanceof MappingNode) {
            reader.error(node, what + ": missing required key '" + key + "'");
        }
        return n;
    }

    /** All values by key, of a mapping whose keys are names chosen by the operator (upstreams, loggers). */
    Map<String, Node> entries() {
        return values;
    }

    int errorIndex() {
        return errorIndex;
    }

    /** The errors for the keys no reader asked for, in file order; none for a mapping of free names. */
    List<ConfigError> unknownKeys() {
        if (open) {
            return List.of();
        }
        return keys.entrySet().stream().filter(e -> !asked.contains(e.getKey()))
                .map(e -> new ConfigError(reader.position(e.getValue()), what + ": unknown key '" + e.getKey() + "'"
                        + suggestion(e.getKey(), asked)))
                .toList();
    }

    private static String suggestion(String key, Set<String> allowed) {
        String best = null;
        int bestDistance = 3;
        for (String a : allowed) {
            int d = distance(key, a);
            if (d < bestDistance) {
                best = a;
                bestDistance = d;
            }
        }
        return best != null ? " (did you mean '" + best + "'?)"
                : " (allowed: " + String.join(", ", new TreeSet<>(allowed)) + ")";
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
