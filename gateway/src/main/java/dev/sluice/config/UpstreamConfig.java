package dev.sluice.config;

import java.util.List;

/**
 * A named group of corporate proxies, tried in order. {@code auth} may be null. {@code forwardedFor} adds the
 * client's address to each CONNECT ({@code X-Forwarded-For} and {@code Forwarded}).
 */
public record UpstreamConfig(String name, List<ProxyUrl> proxies, AuthConfig auth, TlsConfig tls,
                             boolean forwardedFor, Position position) {
}
