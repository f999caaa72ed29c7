package dev.sluice.inbound;

import java.util.List;

/**
 * What the gateway reads from a ClientHello: the server name (null when absent), the ALPN protocols, and the
 * version of the TLS record that carried it (0x0301 from most clients, 0x0303 from some: what a refusal's alert
 * record answers with).
 */
public record Hello(String sni, List<String> alpn, int recordVersion) {
}
