package dev.sluice.config;

import dev.sluice.net.Cidr;
import java.util.List;

/**
 * One rule, as written. Empty lists mean "any". {@code upstream} is null unless the action is splice.
 * All given conditions must hold for the rule to match.
 */
public record RuleConfig(String name, List<NameSpec> sni, List<Cidr> clients, List<Integer> ports,
                         List<Cidr> destinations, Action action, String upstream, Position position) {
}
