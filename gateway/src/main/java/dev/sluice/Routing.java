package dev.sluice;

import dev.sluice.config.GatewayConfig;
import dev.sluice.policy.Policy;
import dev.sluice.upstream.Upstream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A configuration compiled for use: the policy and the upstreams. A reload builds a new one and swaps it in;
 * connections keep the one they started with.
 */
public record Routing(GatewayConfig config, Policy policy, Map<String, Upstream> upstreams) {

    public static Routing of(GatewayConfig config) {
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        config.upstreams().forEach((name, uc) -> upstreams.put(name, Upstream.of(uc)));
        return new Routing(config, Policy.compile(config), Map.copyOf(upstreams));
    }
}
