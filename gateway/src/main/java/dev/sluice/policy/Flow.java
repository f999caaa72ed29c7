package dev.sluice.policy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What the policy knows about one connection: who ({@code client}), where it was going ({@code dst}, null when
 * the listener cannot know), the port it is for ({@code dst}'s port or the listener's default), the server name
 * (null when the ClientHello had none), ALPN protocols, and the listener's name.
 */
public record Flow(InetAddress client, InetSocketAddress dst, int port, String sni, List<String> alpn,
                   String listener) {
}
