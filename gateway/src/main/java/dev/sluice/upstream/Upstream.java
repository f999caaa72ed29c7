package dev.sluice.upstream;

import dev.sluice.config.Cidr;
import dev.sluice.config.ProxyUrl;
import dev.sluice.config.UpstreamConfig;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * A named group of proxies, tried in order (failover). {@code auth} may be null; {@code tls} is null unless some
 * proxy is {@code https://}; {@code forwardedFor} names the client in each CONNECT.
 */
public record Upstream(String name, List<Proxy> proxies, ProxyAuth auth, List<ClientAuth> authByClient,
                       SslContext tls, boolean forwardedFor) {

    /** Credentials for a set of client ranges. */
    public record ClientAuth(List<Cidr> clients, ProxyAuth auth) {
    }

    /** The credentials for {@code client}: the first {@code credentials_by_client} entry that holds it, or auth. */
    public ProxyAuth authFor(InetAddress client) {
        for (ClientAuth ca : authByClient) {
            for (Cidr c : ca.clients()) {
                if (c.contains(client)) {
                    return ca.auth();
                }
            }
        }
        return auth;
    }

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
        List<ClientAuth> byClient = config.credentialsByClient().stream()
                .map(cc -> new ClientAuth(cc.clients(), ProxyAuth.of(cc.auth()))).toList();
        return new Upstream(config.name(), config.proxies().stream().map(Proxy::new).toList(),
                ProxyAuth.of(config.auth()), byClient, tls, config.forwardedFor());
    }
}
