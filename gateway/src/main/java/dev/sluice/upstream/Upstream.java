package dev.sluice.upstream;

import dev.sluice.config.ProxyUrl;
import dev.sluice.config.UpstreamConfig;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * A named group of proxies, tried in order (failover). {@code auth} may be null; {@code tls} is null unless some
 * proxy is {@code https://}; {@code forwardedFor} names the client in each CONNECT.
 */
public record Upstream(String name, List<Proxy> proxies, ProxyAuth auth, SslContext tls, boolean forwardedFor) {

    /** Builds it; the TLS material (certificates, key) is loaded here and refused with a reason. */
    public static Upstream of(UpstreamConfig config) {
        SslContext tls = null;
        if (config.proxies().stream().anyMatch(ProxyUrl::tls)) {
            try {
                tls = ProxyTls.context(config.tls());
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("upstream '" + config.name() + "': cannot set up TLS to its "
                        + "proxies: " + e.getMessage(), e);
            }
        }
        return new Upstream(config.name(), config.proxies().stream().map(Proxy::new).toList(),
                ProxyAuth.of(config.auth()), tls, config.forwardedFor());
    }
}
