package dev.sluice.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Keeps a client-chosen destination off the gateway's own host. A tunnel to one of the gateway's listeners (a loop)
 * or to its admin listener (which has {@code admin.clients} for who may reach it) is always refused. A tunnel to one
 * of this host's addresses, or to a loopback, link-local, wildcard ({@code 0.0.0.0/8}, {@code ::}) or multicast
 * address, and a server name that is this host by definition ({@code localhost}, {@code *.localhost}: RFC 6761), is
 * refused unless the matched rule names it: by a server-name pattern for a name, by a {@code dst} range for an
 * address. A catch-all rule never names anything.
 */
public final class LocalTargets {
    private final Predicate<InetSocketAddress> listener;
    private final Predicate<InetSocketAddress> admin;
    private final Set<InetAddress> hostAddresses;

    /**
     * @param listener whether an address is one of the gateway's own listeners
     * @param admin whether an address is the admin listener
     * @param hostAddresses this host's interface addresses
     */
    public LocalTargets(Predicate<InetSocketAddress> listener, Predicate<InetSocketAddress> admin,
                        Set<InetAddress> hostAddresses) {
        this.listener = listener;
        this.admin = admin;
        this.hostAddresses = Set.copyOf(hostAddresses);
    }

    /**
     * Why a tunnel must not go to {@code target} (the phrase after "refused: ADDRESS"), or null when it may.
     * {@code named}: the matched rule names this destination explicitly.
     */
    public String refusal(InetSocketAddress target, boolean named) {
        if (listener.test(target)) {
            return "is the gateway's own listener (a loop)";
        }
        if (admin.test(target)) {
            return "is the gateway's admin listener";
        }
        if (named) {
            return null;
        }
        InetAddress ip = target.getAddress();
        String kind = localKind(ip);
        if (kind != null) {
            return "is a " + kind + " address";
        }
        return hostAddresses.contains(ip) ? "is an address of the gateway itself" : null;
    }

    /** Why a tunnel must not go to the server name {@code name} (normalised), or null when it may: a whole phrase. */
    public static String refusal(String name, boolean named) {
        if (!named && (name.equals("localhost") || name.endsWith(".localhost"))) {
            return "refused: server name " + name + " is this host (loopback, RFC 6761)";
        }
        return null;
    }

    /** "loopback", "link-local", "wildcard", "multicast", or null for an address that leaves this host. */
    static String localKind(InetAddress ip) {
        if (ip.isLoopbackAddress()) {
            return "loopback";
        }
        if (ip.isLinkLocalAddress()) {
            return "link-local";
        }
        // 0.0.0.0/8 is "this network": Linux connects 0.x.x.x to this host
        if (ip.isAnyLocalAddress() || (ip instanceof Inet4Address && ip.getAddress()[0] == 0)) {
            return "wildcard";
        }
        if (ip.isMulticastAddress()) {
            return "multicast";
        }
        return null;
    }
}
