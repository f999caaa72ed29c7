package dev.sluice.config;

import java.nio.file.Path;

/**
 * TLS to the proxies of one upstream ({@code https://} proxy URLs): {@code caFile} to trust their certificates
 * (null: the system's trust store), {@code clientCert}/{@code clientKey} (PEM) for mutual TLS (both or neither).
 */
public record TlsConfig(Path caFile, Path clientCert, Path clientKey) {
    public static final TlsConfig SYSTEM_TRUST = new TlsConfig(null, null, null);
}
