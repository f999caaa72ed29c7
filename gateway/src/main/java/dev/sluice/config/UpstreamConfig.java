package dev.sluice.config;

import dev.sluice.net.Cidr;
import java.util.List;

/**
 * A named group of corporate proxies, tried in order. {@code auth} may be null; {@code credentialsByClient} gives
 * other credentials to some client ranges (first match wins, {@code auth} for the rest). {@code forwardedFor}
 * adds the client's address to each CONNECT ({@code X-Forwarded-For} and {@code Forwarded}). {@code http}: how
 * plain HTTP goes through it.
 */
public record UpstreamConfig(String name, List<ProxyUrl> proxies, AuthConfig auth,
                             List<ClientCredentials> credentialsByClient, TlsConfig tls, boolean forwardedFor,
                             HttpMode http, UpstreamPolicy policy, Position position) {

    /** Every set of credentials: {@code auth} (when there is one), then each {@code credentials_by_client} entry's. */
    public List<AuthConfig> allAuth() {
        List<AuthConfig> all = new java.util.ArrayList<>();
        if (auth != null) {
            all.add(auth);
        }
        credentialsByClient.forEach(cc -> all.add(cc.auth()));
        return all;
    }

    /** Credentials for the clients in {@code clients}. */
    public record ClientCredentials(List<Cidr> clients, AuthConfig auth) {
    }
}
