package dev.sluice.config;

import java.util.List;

/** A named group of corporate proxies, tried in order. {@code auth} may be null. */
public record UpstreamConfig(String name, List<ProxyUrl> proxies, AuthConfig auth, Position position) {
}
