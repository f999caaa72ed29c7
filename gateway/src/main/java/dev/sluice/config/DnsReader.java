package dev.sluice.config;

import dev.sluice.net.Cidr;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.net.Ports;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/** Reads the optional {@code dns} section (see {@link DnsConfig}); absent, the responder is off. */
final class DnsReader {
    /** The smallest synthetic range: 16 names. */
    private static final int MIN_SLOTS = 16;

    private final YamlReader yaml;
    private final ConfigFiles files;

    DnsReader(YamlReader yaml, ConfigFiles files) {
        this.yaml = yaml;
        this.files = files;
    }

    /**
     * {@code listeners}: TCP addresses already taken (a DNS listener's TCP socket must not clash with them);
     * {@code admin}: this box's admin listener, which a pair's peer pulls the name table from (or null).
     */
    DnsConfig read(Node node, List<ListenerConfig> listeners, AdminConfig admin) {
        if (node == null) {
            return null;
        }
        Section f = yaml.section(node, "dns");
        Node listenNode = f.require("listen", "dns");
        Node forwardNode = f.require("forward", "dns");
        Node syntheticNode = f.get("synthetic");
        Node rejectedNode = f.get("rejected");
        Node tlsPortsNode = f.get("tls_ports");
        Node stateNode = f.get("state_dir");
        Node limitsNode = f.get("limits");
        Node pairNode = f.get("pair");
        Duration ttl = yaml.duration(f, "dns", "ttl", DnsConfig.DEFAULT_TTL);
        if (ttl.compareTo(Duration.ofDays(1)) > 0) {
            yaml.error(f.get("ttl"), "dns.ttl: at most 1d");
        }
        List<HostPort> listen = listenNode == null ? List.of()
                : yaml.values(listenNode, "dns.listen", s -> address(s, false));
        for (HostPort hp : listen) {
            for (ListenerConfig l : listeners) {
                if (l.listen() != null && BindClash.clash(hp, l.listen())) {
                    yaml.error(listenNode, "dns.listen: " + hp + " is taken by listener '" + l.name()
                            + "' (line " + l.position().line() + "): DNS needs its own port (53)");
                }
            }
        }
        List<HostPort> forward = forwardNode == null ? List.of()
                : yaml.values(forwardNode, "dns.forward", s -> address(s, true));
        if (forwardNode != null && forward.isEmpty() && yaml.list(forwardNode, "dns.forward").isEmpty()) {
            yaml.error(forwardNode, "dns.forward: at least one resolver is needed for the names no rule claims");
        }
        for (HostPort hp : forward) {
            if (listen.contains(hp)) {
                yaml.error(forwardNode, "dns.forward: " + hp + " is one of dns.listen: it would ask itself");
            }
        }
        Cidr ipv4 = DnsConfig.DEFAULT_IPV4;
        Cidr ipv6 = DnsConfig.DEFAULT_IPV6;
        if (syntheticNode != null) {
            Section s = yaml.section(syntheticNode, "dns.synthetic");
            ipv4 = s.has("ipv4") ? range(s.get("ipv4"), "dns.synthetic.ipv4", Inet4Address.class, ipv4) : ipv4;
            ipv6 = s.has("ipv6") ? range(s.get("ipv6"), "dns.synthetic.ipv6", Inet6Address.class, ipv6) : ipv6;
        }
        for (HostPort hp : forward) {
            InetAddress a = IpLiteral.parse(hp.host());
            if (ipv4.contains(a) || ipv6.contains(a)) {
                yaml.error(forwardNode, "dns.forward: " + hp + " is inside a synthetic range");
            }
        }
        boolean nxdomain = rejectedNode != null && "nxdomain".equals(yaml.value(rejectedNode, "dns.rejected",
                DnsReader::rejected));
        Set<Integer> tlsPorts = tlsPortsNode == null ? Set.of(443)
                : Set.copyOf(new LinkedHashSet<>(yaml.values(tlsPortsNode, "dns.tls_ports", Ports::parse)));
        Path stateDir = DnsConfig.DEFAULT_STATE_DIR;
        if (stateNode != null) {
            String s = yaml.scalar(stateNode, "dns.state_dir");
            Path p = s == null || s.isBlank() ? null : files.resolve(stateNode, "dns.state_dir", s);
            if (s != null && s.isBlank()) {
                yaml.error(stateNode, "dns.state_dir: empty; name a directory (e.g. /var/lib/sluice)");
            }
            stateDir = p == null ? stateDir : p;
        }
        int names = DnsConfig.DEFAULT_MAX_NAMES;
        int forwards = DnsConfig.DEFAULT_MAX_FORWARDS;
        int qps = DnsConfig.DEFAULT_CLIENT_QPS;
        if (limitsNode != null) {
            Section l = yaml.section(limitsNode, "dns.limits");
            names = l.has("names") ? yaml.count(l.get("names"), "dns.limits.names", MIN_SLOTS, 1 << 20, names) : names;
            forwards = l.has("forwards") ? yaml.count(l.get("forwards"), "dns.limits.forwards", 1, 32768, forwards)
                    : forwards;
            qps = l.has("client_qps") ? yaml.count(l.get("client_qps"), "dns.limits.client_qps", 1, 1_000_000, qps)
                    : qps;
        }
        DnsPair pair = pairNode == null ? null : pair(pairNode, admin);
        return new DnsConfig(List.copyOf(listen), List.copyOf(forward), ipv4, ipv6, ttl, nxdomain, tlsPorts,
                stateDir, names, forwards, qps, pair, yaml.position(node));
    }

    /** {@code dns.pair: { peer: http://IP:PORT, half: 1|2, interval: 1s }}. */
    private DnsPair pair(Node node, AdminConfig admin) {
        Section p = yaml.section(node, "dns.pair");
        Node peerNode = p.require("peer", "dns.pair");
        Node halfNode = p.require("half", "dns.pair");
        Duration interval = yaml.duration(p, "dns.pair", "interval", DnsPair.DEFAULT_INTERVAL);
        if (interval.compareTo(Duration.ofMillis(100)) < 0 || interval.compareTo(Duration.ofMinutes(1)) > 0) {
            yaml.error(p.get("interval"), "dns.pair.interval: 100ms-1m, got " + interval.toMillis() + "ms");
        }
        HostPort peer = peerNode == null ? null : yaml.value(peerNode, "dns.pair.peer", DnsReader::peer);
        int half = halfNode == null ? 0 : yaml.count(halfNode, "dns.pair.half", 1, 2, 0);
        if (admin == null) {
            yaml.error(node, "dns.pair: needs this box's admin listener (admin.listen): the peer pulls the name "
                    + "table from it");
        } else if (peer != null && peer.equals(admin.listen())) {
            yaml.error(peerNode, "dns.pair.peer: " + peer + " is this box's own admin listener; name the other box's");
        } else if (peer != null && IpLiteral.parse(admin.listen().host()).isLoopbackAddress()
                && !IpLiteral.parse(peer.host()).isLoopbackAddress()) {
            yaml.error(node, "dns.pair: admin.listen " + admin.listen() + " is a loopback address: the peer at "
                    + peer.host() + " could not pull this box's names; listen on the address the peer reaches");
        }
        return peer == null || half == 0 ? null : new DnsPair(peer, half, interval);
    }

    /** {@code http://IP:PORT}, a trailing slash allowed. */
    private static HostPort peer(String text) {
        String s = text.trim();
        if (!s.startsWith("http://")) {
            throw new IllegalArgumentException("expected http://IP:PORT (the other box's admin listener), got '"
                    + s + "'");
        }
        s = s.substring("http://".length());
        s = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        HostPort hp = HostPort.parse(s);
        if (!IpLiteral.is(hp.host())) {
            throw new IllegalArgumentException("'" + hp.host() + "' is not an IP address (no DNS to find the peer)");
        }
        return new HostPort(IpLiteral.format(IpLiteral.parse(hp.host())), hp.port());
    }

    private Cidr range(Node node, String what, Class<? extends InetAddress> family, Cidr fallback) {
        Cidr c = yaml.value(node, what, Cidr::parse);
        if (c == null) {
            return fallback;
        }
        int bits = family == Inet4Address.class ? 32 : 128;
        if (!family.isInstance(c.first())) {
            yaml.error(node, what + ": " + c + " is not an " + (bits == 32 ? "IPv4" : "IPv6") + " range");
            return fallback;
        }
        if (bits - c.prefix() < 5) {
            yaml.error(node, what + ": " + c + " is too small: at least a /" + (bits - 5) + " (" + MIN_SLOTS
                    + " names and room)");
            return fallback;
        }
        return c;
    }

    /** {@code IP:port}, {@code [IPv6]:port}, and with {@code defaultPort} also a bare address (port 53). */
    private static HostPort address(String text, boolean defaultPort) {
        String s = text.trim();
        String bare = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        HostPort hp;
        if (defaultPort && IpLiteral.is(bare)) {
            hp = new HostPort(bare, 53);
        } else if (defaultPort && !s.contains(":")) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address (no DNS to find DNS)");
        } else {
            hp = HostPort.parse(s);
        }
        if (!IpLiteral.is(hp.host())) {
            throw new IllegalArgumentException("'" + hp.host() + "' is not an IP address (no DNS to find DNS)");
        }
        return new HostPort(IpLiteral.format(IpLiteral.parse(hp.host())), hp.port());
    }

    private static String rejected(String s) {
        if (!s.equals("forward") && !s.equals("nxdomain")) {
            throw new IllegalArgumentException("expected forward or nxdomain, got '" + s + "'");
        }
        return s;
    }
}
