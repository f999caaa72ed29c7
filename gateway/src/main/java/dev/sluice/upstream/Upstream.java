package dev.sluice.upstream;

import dev.sluice.config.UpstreamConfig;
import java.util.List;

/** A named group of proxies, tried in order (failover); {@code auth} may be null. */
public record Upstream(String name, List<Proxy> proxies, ProxyAuth auth) {

    public static Upstream of(UpstreamConfig config) {
        return new Upstream(config.name(), config.proxies().stream().map(Proxy::new).toList(),
                ProxyAuth.of(config.auth()));
    }
}
