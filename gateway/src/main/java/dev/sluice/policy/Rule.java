package dev.sluice.policy;

import dev.sluice.config.Action;
import dev.sluice.config.Position;
import dev.sluice.config.RuleConfig;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One compiled rule. Its server-name patterns live in the policy's shared {@link DomainSet}; the rule keeps its
 * other conditions (client ranges, ports, destination ranges) and checks them here.
 */
public final class Rule {
    private final int index;
    private final String name;
    private final Action action;
    private final String upstream;
    private final boolean hasSni;
    private final List<NamePattern> patterns;
    private final CidrSet clients;
    private final Set<Integer> ports;
    private final CidrSet destinations;
    private final boolean namesDestinations;
    private final Position position;

    Rule(int index, RuleConfig c) {
        this.index = index;
        this.name = c.name();
        this.action = c.action();
        this.upstream = c.upstream();
        this.hasSni = !c.sni().isEmpty();
        this.patterns = c.sni().stream().map(NamePattern::new).toList();
        this.clients = c.clients().isEmpty() ? null : new CidrSet(c.clients());
        this.ports = c.ports().isEmpty() ? null : Set.copyOf(new HashSet<>(c.ports()));
        this.destinations = c.destinations().isEmpty() ? null : new CidrSet(c.destinations());
        this.namesDestinations = destinations != null && c.destinations().stream().allMatch(r -> r.prefix() > 0);
        this.position = c.position();
    }

    /** The conditions other than the server name. */
    boolean matchesBesidesName(Flow flow) {
        if (clients != null && !clients.contains(flow.client())) {
            return false;
        }
        if (ports != null && !ports.contains(flow.port())) {
            return false;
        }
        if (destinations != null) {
            InetSocketAddress dst = flow.dst();
            return dst != null && destinations.contains(dst.getAddress());
        }
        return true;
    }

    /** Whether {@code client} is in the rule's client ranges (or it has none). */
    boolean matchesClient(java.net.InetAddress client) {
        return clients == null || clients.contains(client);
    }

    /** Whether the rule has conditions only a connection can answer (ports, destinations). */
    boolean dependsOnConnection() {
        return ports != null || destinations != null;
    }

    /** The first of this rule's patterns that matches {@code name}, for {@code sluice explain}. */
    public NamePattern patternFor(String name) {
        return patterns.stream().filter(p -> p.matches(name)).findFirst().orElse(null);
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public Action action() {
        return action;
    }

    public String upstream() {
        return upstream;
    }

    public boolean hasSni() {
        return hasSni;
    }

    /**
     * Whether the rule names the destination addresses it matches: it has a {@code destinations} condition and
     * none of its ranges is everything ({@code 0.0.0.0/0}, {@code ::/0} name nothing).
     */
    public boolean namesDestinations() {
        return namesDestinations;
    }

    public Position position() {
        return position;
    }

    @Override
    public String toString() {
        return name + " (#" + (index + 1) + ", " + position + ")";
    }
}
