package dev.sluice.policy;

import dev.sluice.net.IpLiteral;
import dev.sluice.config.Action;
import dev.sluice.config.GatewayConfig;
import dev.sluice.config.NameSpec;
import dev.sluice.config.RuleConfig;
import dev.sluice.net.HostName;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The rules of a configuration compiled for lookups: first match wins, no match is a reject. One lookup walks
 * the server name once through a suffix trie shared by all rules (O(name length)), then checks the remaining
 * conditions of only the candidate rules, in order. Immutable and safe to share between event loops.
 */
public final class Policy {
    private final List<Rule> rules;
    private final DomainSet names = new DomainSet();
    private final BitSet rulesWithoutSni = new BitSet();
    private final CidrSet clients;

    private Policy(GatewayConfig config) {
        List<Rule> compiled = new ArrayList<>();
        for (RuleConfig rc : config.rules()) {
            Rule rule = new Rule(compiled.size(), rc);
            compiled.add(rule);
            if (rc.sni().isEmpty()) {
                rulesWithoutSni.set(rule.index());
            }
            for (NameSpec spec : rc.sni()) {
                names.add(spec, rule.index());
            }
        }
        this.rules = List.copyOf(compiled);
        this.clients = new CidrSet(config.clients());
    }

    public static Policy compile(GatewayConfig config) {
        return new Policy(config);
    }

    /** Whether {@code client} is inside the configured client ranges (never an open proxy). */
    public boolean allowsClient(InetAddress client) {
        return clients.contains(client);
    }

    public Decision decide(Flow flow) {
        BitSet candidates = (BitSet) rulesWithoutSni.clone();
        String sni = flow.sni() == null ? null : HostName.normalize(flow.sni());
        if (sni != null) {
            names.collect(sni, candidates);
        }
        for (int i = candidates.nextSetBit(0); i >= 0; i = candidates.nextSetBit(i + 1)) {
            Rule rule = rules.get(i);
            if (rule.matchesBesidesName(flow)) {
                return decision(rule, flow, sni);
            }
        }
        return new Decision(null, Action.REJECT, null, target(flow, sni), flow.port());
    }

    /**
     * What the rules say of {@code name} for {@code client} before any connection exists (the DNS responder's
     * question): the first rule, in order, whose server-name patterns match and whose client ranges hold the client
     * decides ({@link NameClaim#ROUTED} for splice and direct, {@link NameClaim#REJECTED} for reject). A rule without
     * server names claims no name: when one would decide every connection of the client (no port or destination
     * condition), nothing after it is asked and the name is {@link NameClaim#UNCLAIMED}; when its conditions depend
     * on the connection, it is passed over.
     */
    public NameClaim claim(InetAddress client, String name) {
        String n = HostName.normalize(name);
        BitSet candidates = (BitSet) rulesWithoutSni.clone();
        names.collect(n, candidates);
        for (int i = candidates.nextSetBit(0); i >= 0; i = candidates.nextSetBit(i + 1)) {
            Rule rule = rules.get(i);
            if (!rule.matchesClient(client)) {
                continue;
            }
            if (!rule.hasSni()) {
                if (rule.dependsOnConnection()) {
                    continue;
                }
                return NameClaim.UNCLAIMED;
            }
            return rule.action() == Action.REJECT ? NameClaim.REJECTED : NameClaim.ROUTED;
        }
        return NameClaim.UNCLAIMED;
    }

    private static Decision decision(Rule rule, Flow flow, String sni) {
        return new Decision(rule, rule.action(), rule.upstream(), target(flow, sni), flow.port());
    }

    /** CONNECT by name when there is one; else the original destination's address; else nothing. */
    private static String target(Flow flow, String sni) {
        if (sni != null) {
            return sni;
        }
        return flow.dst() == null ? null : IpLiteral.format(flow.dst().getAddress());
    }

    public List<Rule> rules() {
        return rules;
    }
}
