package dev.sluice.inbound;

import java.util.List;

/** What the gateway reads from a ClientHello: the server name (null when absent) and the ALPN protocols. */
public record Hello(String sni, List<String> alpn) {
}
