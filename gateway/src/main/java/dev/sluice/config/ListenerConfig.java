package dev.sluice.config;

import dev.sluice.net.HostPort;

/** One address the gateway accepts client connections on. */
public record ListenerConfig(String name, HostPort listen, Transparent transparent, String peek, int defaultPort,
                             Position position) {
}
