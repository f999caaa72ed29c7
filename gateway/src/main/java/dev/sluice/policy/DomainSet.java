package dev.sluice.policy;

import dev.sluice.config.NameSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Name patterns of many rules in one suffix trie over DNS labels, so that finding every rule whose patterns match
 * a name costs O(length of the name), however many names the rules list. Regular expressions cannot live in a
 * trie; they are tried one by one after the walk (keep them few).
 */
public final class DomainSet {
    private final Node root = new Node();
    private final List<NamePattern> regexes = new ArrayList<>();
    private final List<Integer> regexIds = new ArrayList<>();

    private static final class Node {
        final Map<String, Node> children = new HashMap<>(4);
        int[] exact = NONE;      // the name itself
        int[] domain = NONE;     // the name and everything below it
        int[] below = NONE;      // strictly below it
    }

    private static final int[] NONE = new int[0];

    /** Adds a pattern for the rule with index {@code id}. */
    public void add(NameSpec spec, int id) {
        if (spec.kind() == NameSpec.Kind.REGEX) {
            regexes.add(new NamePattern(spec));
            regexIds.add(id);
            return;
        }
        Node node = root;
        String[] labels = spec.value().split("\\.");
        for (int i = labels.length - 1; i >= 0; i--) {
            node = node.children.computeIfAbsent(labels[i], k -> new Node());
        }
        switch (spec.kind()) {
            case EXACT -> node.exact = append(node.exact, id);
            case DOMAIN -> node.domain = append(node.domain, id);
            default -> node.below = append(node.below, id);
        }
    }

    /** Sets in {@code out} the id of every rule with a pattern matching {@code name} (normalized). */
    public void collect(String name, BitSet out) {
        Node node = root;
        int end = name.length();
        while (end > 0) {
            int dot = name.lastIndexOf('.', end - 1);
            Node next = node.children.get(name.substring(dot + 1, end));
            if (next == null) {
                break;
            }
            node = next;
            set(out, node.domain);
            if (dot < 0) {
                set(out, node.exact);
            } else {
                set(out, node.below);
            }
            end = dot;
            if (dot < 0) {
                break;
            }
        }
        for (int i = 0; i < regexes.size(); i++) {
            if (!out.get(regexIds.get(i)) && regexes.get(i).matches(name)) {
                out.set(regexIds.get(i));
            }
        }
    }

    private static void set(BitSet out, int[] ids) {
        for (int id : ids) {
            out.set(id);
        }
    }

    private static int[] append(int[] ids, int id) {
        if (Arrays.binarySearch(ids, id) >= 0) {
            return ids;
        }
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = id;
        Arrays.sort(out);
        return out;
    }
}
