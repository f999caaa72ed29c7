package dev.sluice.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Typed reads from a SnakeYAML node tree that never throw: every problem becomes a {@link ConfigError} with the
 * node's line and column, and the read returns {@code null} so that the loader goes on and reports everything.
 */
final class YamlReader {
    private final String file;
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<Section> sections = new ArrayList<>();

    YamlReader(String file) {
        this.file = file;
    }

    List<ConfigError> errors() {
        return errors;
    }

    Position position(Node node) {
        return new Position(file, node.getStartMark().getLine() + 1, node.getStartMark().getColumn() + 1);
    }

    void error(Node node, String message) {
        errors.add(new ConfigError(position(node), message));
    }

    void error(Position position, String message) {
        errors.add(new ConfigError(position, message));
    }

    /** A mapping whose keys its reader declares by reading them (see {@link Section}); repeated keys are errors. */
    Section section(Node node, String what) {
        return read(node, what, false);
    }

    /** A mapping of names the operator chooses (upstreams, loggers): any key is allowed. */
    Section entries(Node node, String what) {
        return read(node, what, true);
    }

    private Section read(Node node, String what, boolean open) {
        int errorIndex = errors.size();
        Map<String, Node> values = new LinkedHashMap<>();
        Map<String, Node> keys = new LinkedHashMap<>();
        if (!(node instanceof MappingNode map)) {
            error(node, what + ": expected a mapping (key: value), got " + describe(node));
        } else {
            for (NodeTuple t : map.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
                if (key == null) {
                    error(t.getKeyNode(), what + ": keys must be plain names");
                } else if (keys.containsKey(key)) {
                    error(t.getKeyNode(), what + ": duplicate key '" + key + "' (first at line "
                            + position(keys.get(key)).line() + ")");
                } else {
                    keys.put(key, t.getKeyNode());
                    values.put(key, t.getValueNode());
                }
            }
        }
        Section section = new Section(this, node, what, keys, values, open, errorIndex);
        sections.add(section);
        return section;
    }

    /**
     * Reports the keys of every section that no reader asked for. Each section's errors go where it was opened
     * in the list, so that errors at one position keep the order of a reader that checked keys first.
     */
    void finish() {
        for (int i = sections.size() - 1; i >= 0; i--) {
            Section s = sections.get(i);
            errors.addAll(s.errorIndex(), s.unknownKeys());
        }
    }

    /** How far the reading has got, to ask after {@link #finish()} whether it had found an error by then. */
    record Mark(int errors, int sections) {
    }

    Mark mark() {
        return new Mark(errors.size(), sections.size());
    }

    /** After {@link #finish()}: no error before {@code mark}, counting the unknown keys of sections opened by then. */
    boolean noErrorsBefore(Mark mark) {
        return mark.errors() == 0
                && sections.subList(0, mark.sections()).stream().allMatch(s -> s.unknownKeys().isEmpty());
    }

    /** A plain scalar; {@code null} (with an error) for a list, mapping or empty value. */
    String scalar(Node node, String what) {
        if (node instanceof ScalarNode s) {
            if (s.getValue().isEmpty() && s.getTag().getValue().endsWith(":null")) {
                error(node, what + ": missing value");
                return null;
            }
            return s.getValue();
        }
        error(node, what + ": expected a single value, got " + describe(node));
        return null;
    }

    /** A sequence; a single scalar is taken as a one-item list. */
    List<Node> list(Node node, String what) {
        if (node instanceof SequenceNode seq) {
            return seq.getValue();
        }
        if (node instanceof ScalarNode s && !s.getValue().isEmpty()) {
            return List.of(node);
        }
        error(node, what + ": expected a list, got " + describe(node));
        return List.of();
    }

    /** A scalar turned into a value by {@code parser}; its IllegalArgumentException becomes the error text. */
    <T> T value(Node node, String what, Function<String, T> parser) {
        String s = scalar(node, what);
        if (s == null) {
            return null;
        }
        try {
            return parser.apply(s);
        } catch (IllegalArgumentException e) {
            error(node, what + ": " + e.getMessage());
            return null;
        }
    }

    /** Each item of a list turned into a value; bad items are reported and left out. */
    <T> List<T> values(Node node, String what, Function<String, T> parser) {
        List<T> out = new ArrayList<>();
        for (Node item : list(node, what)) {
            T v = value(item, what, parser);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    /** A whole number in [min, max]; {@code fallback} (with an error) when it is not. */
    int count(Node node, String what, int min, int max, int fallback) {
        Integer n = value(node, what, s -> {
            try {
                int v = Integer.parseInt(s.trim());
                if (v < min || v > max) {
                    throw new IllegalArgumentException("must be " + min + "-" + max + ", got " + v);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number, got '" + s + "'");
            }
        });
        return n == null ? fallback : n;
    }

    /** {@code section.key} as a duration greater than zero, or {@code fallback} when absent (or wrong). */
    Duration duration(Section f, String section, String key, Duration fallback) {
        if (!f.has(key)) {
            return fallback;
        }
        Duration d = value(f.get(key), section + "." + key, Durations::parse);
        if (d != null && d.isZero()) {
            error(f.get(key), section + "." + key + ": must be greater than zero");
        }
        return d == null || d.isZero() ? fallback : d;
    }

    private static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        return node instanceof ScalarNode s && s.getValue().isEmpty() ? "nothing" : "'" + ((ScalarNode) node).getValue() + "'";
    }
}
