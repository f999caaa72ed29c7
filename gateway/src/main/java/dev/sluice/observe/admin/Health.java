package dev.sluice.observe.admin;

import dev.sluice.config.Action;
import dev.sluice.observe.GatewayView;
import dev.sluice.policy.Rule;
import dev.sluice.upstream.Proxy;
import dev.sluice.upstream.Upstream;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code /healthz}: every listener bound and every upstream a rule sends traffic to has a proxy in service.
 * {@code /readyz}: serving (not starting, not draining for a shutdown) and healthy as {@code /healthz} says: what
 * keepalived's {@code vrrp_script} asks, so that a gateway that cannot serve gives its address up. Each answer has a
 * one-line reason.
 */
public record Health(boolean ok, String reason) {

    public static Health check(GatewayView gateway) {
        for (GatewayView.ListenerInfo l : gateway.listeners()) {
            if (!l.bound()) {
                return new Health(false, "listener " + l.name() + " (" + l.address() + ") is not bound");
            }
        }
        if (gateway.listeners().isEmpty()) {
            return new Health(false, "no listener is bound yet");
        }
        Set<String> used = new LinkedHashSet<>();
        for (Rule r : gateway.rules()) {
            if (r.action() == Action.SPLICE) {
                used.add(r.upstream());
            }
        }
        for (Upstream u : gateway.upstreams()) {
            if (!used.contains(u.name())) {
                continue;
            }
            long up = u.proxies().stream().filter(Proxy::isUp).count();
            if (up == 0) {
                return new Health(false, "upstream " + u.name() + ": no proxy in service (" + u.proxies().size()
                        + " of " + u.proxies().size() + " out)");
            }
        }
        return new Health(true, "ok");
    }

    public static Health ready(GatewayView gateway) {
        return switch (gateway.state()) {
            case SERVING -> check(gateway);
            case STARTING -> new Health(false, "starting");
            case DRAINING -> new Health(false, "draining for shutdown: not accepting connections");
        };
    }
}
