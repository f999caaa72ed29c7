package dev.sluice.policy;

import dev.sluice.config.Action;
import dev.sluice.net.HostPort;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Keeps a client-chosen destination off the gateway's own host. A tunnel to one of the gateway's listeners (a loop)
 * or to its admin listener (which has {@code admin.clients} for who may reach it) is always refused. A tunnel to one
 * of this host's addresses, or to a loopback, link-local, wildcard ({@code 0.0.0.0/8}, {@code ::}) or multicast
 * address, and a server name that is this host by definition ({@code localhost}, {@code *.localhost}: RFC 6761), is
 * refused unless the matched rule names it: by a server-name pattern for a name, by a {@code dst} range for an
 * address. A catch-all rule never names anything.
 *
 * <p>Three moments ask: {@link #refusal(Flow, Decision)} once the policy has decided (a name, or the
 * original destination), {@link #whenResolved} when a direct tunnel's name resolves at dial time, and
 * {@link #refusal(String, boolean)} for a name alone.
 */
public final class LocalTargets {
    private final List<InetSocketAddress> listeners;
    private final Supplier<InetSocketAddress> admin;
    private final Set<InetAddress> hostAddresses;

    /**
     * @param listeners the gateway's bound listener sockets: a live list, read at each check (they are bound after
     *                  this is made)
     * @param admin the admin listener's bound socket, or null when there is none
     * @param hostAddresses this host's interface addresses ({@link #hostAddresses()})
     */
    public LocalTargets(List<InetSocketAddress> listeners, Supplier<InetSocketAddress> admin,
                        Set<InetAddress> hostAddresses) {
        this.listeners = listeners;
        this.admin = admin;
        this.hostAddresses = Set.copyOf(hostAddresses);
    }

    /** This host's interface addresses. Lists the interfaces: call it once at start, not on an event loop. */
    public static Set<InetAddress> hostAddresses() throws SocketException {
        Set<InetAddress> out = new HashSet<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            out.addAll(Collections.list(nif.getInetAddresses()));
        }
        return out;
    }

    /**
     * Why the tunnel decided for {@code flow} must not go where it would (a whole phrase), or null. A server name
     * goes by name (to the proxy, or resolved at dial time: see {@link #whenResolved}); an original destination is
     * an address, named only by a rule's {@code destinations} range.
     */
    public String refusal(Flow flow, Decision d) {
        InetSocketAddress dst = flow.dst();
        if (flow.sni() != null && (d.action() == Action.SPLICE || dst == null)) {
            // the name is where the tunnel goes (a direct one on a transparent listener goes to dst instead)
            return refusal(d.host(), d.rule().hasSni());
        }
        String why = refusal(dst, d.rule().namesDestinations());
        return why == null ? null : "refused: " + HostPort.of(dst) + " " + why;
    }

    /** The check for a direct tunnel's name once it has resolved: a name the rule named may be local, no other. */
    public Function<InetSocketAddress, String> whenResolved(Rule rule) {
        boolean named = rule.hasSni();
        return address -> refusal(address, named);
    }

    /**
     * Why a tunnel must not go to {@code target} (the phrase after "refused: ADDRESS"), or null when it may.
     * {@code named}: the matched rule names this destination explicitly.
     */
    public String refusal(InetSocketAddress target, boolean named) {
        for (InetSocketAddress own : listeners) {
            if (reaches(own, target)) {
                return "is the gateway's own listener (a loop)";
            }
        }
        InetSocketAddress adminSocket = admin.get();
        if (adminSocket != null && reaches(adminSocket, target)) {
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

    /** Whether a connection to {@code target} would arrive at the socket bound to {@code own} on this host. */
    private boolean reaches(InetSocketAddress own, InetSocketAddress target) {
        if (own.getPort() != target.getPort()) {
            return false;
        }
        InetAddress a = target.getAddress();
        return own.getAddress().equals(a) || (own.getAddress().isAnyLocalAddress()
                && (a.isLoopbackAddress() || a.isAnyLocalAddress() || hostAddresses.contains(a)));
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
