package dev.sluice.config;

import dev.sluice.net.Cidr;
import dev.sluice.net.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The optional {@code dns} section: the DNS responder that answers names the rules route with synthetic addresses
 * and forwards every other name. {@code listen}, {@code synthetic}, {@code stateDir}, {@code maxNames} and
 * {@code pair} are taken at start-up; the rest follows a reload.
 *
 * @param listen      UDP and TCP, each address
 * @param forward     the company's resolvers, tried in order
 * @param ipv4        synthetic IPv4 range
 * @param ipv6        synthetic IPv6 range
 * @param ttl         the TTL of a synthetic answer
 * @param nxdomain    names an explicit reject rule matches: NXDOMAIN (true) or forwarded (false)
 * @param tlsPorts    ports whose connections to a synthetic address are peeked for a ClientHello
 * @param stateDir    where the name table is kept across restarts
 * @param maxNames    the name table's size bound
 * @param maxForwards forwarded queries awaiting an answer, at most
 * @param clientQps   queries per second one client may ask
 * @param pair        the other gateway of a pair that shares the name table, or null (taken at start-up)
 */
public record DnsConfig(List<HostPort> listen, List<HostPort> forward, Cidr ipv4, Cidr ipv6, Duration ttl,
                        boolean nxdomain, Set<Integer> tlsPorts, Path stateDir, int maxNames, int maxForwards,
                        int clientQps, DnsPair pair, Position position) {
    public static final Cidr DEFAULT_IPV4 = Cidr.parse("198.18.0.0/15");
    public static final Cidr DEFAULT_IPV6 = Cidr.parse("fdec:5c::/96");
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/sluice");
    public static final int DEFAULT_MAX_NAMES = 65536;
    public static final int DEFAULT_MAX_FORWARDS = 1024;
    public static final int DEFAULT_CLIENT_QPS = 200;

    /** Whether {@code other} can replace this one by a reload (what is taken only at start-up is the same). */
    public boolean reloadableTo(DnsConfig other) {
        return other != null && listen.equals(other.listen) && ipv4.equals(other.ipv4) && ipv6.equals(other.ipv6)
                && stateDir.equals(other.stateDir) && maxNames == other.maxNames
                && Objects.equals(pair, other.pair);
    }
}
