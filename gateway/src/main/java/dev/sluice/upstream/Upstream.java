package dev.sluice.upstream;

import dev.sluice.config.HttpMode;
import dev.sluice.config.ProxyUrl;
import dev.sluice.config.UpstreamConfig;
import dev.sluice.config.UpstreamPolicy;
import dev.sluice.net.Cidr;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

/**
 * A named group of proxies and how to choose among them ({@link UpstreamPolicy}). {@code credentials} may be null;
 * {@code tls} is null unless some proxy is {@code https://}; {@code forwardedFor} names the client in each CONNECT.
 */
public final class Upstream {
    /** Credentials for a set of client ranges. */
    public record ClientAuth(List<Cidr> clients, ProxyCredentials credentials) {
    }

    /** The proxies to try for one tunnel, in order; {@code allDown} when none was in service (all tried anyway). */
    public record Candidates(List<Proxy> order, boolean allDown) {
    }

    private final String name;
    private final List<Proxy> proxies;
    private final ProxyCredentials credentials;
    private final List<ClientAuth> authByClient;
    private final SslContext tls;
    private final boolean forwardedFor;
    private final UpstreamPolicy policy;
    private final HttpMode http;
    private final AtomicInteger next = new AtomicInteger();

    private Upstream(UpstreamConfig c, SslContext tls, KerberosClients kerberos) {
        this.name = c.name();
        this.proxies = c.proxies().stream()
                .map(url -> new Proxy(url, c.name(), c.policy().fall(), c.policy().rise())).toList();
        this.credentials = c.auth() == null ? null : new ProxyCredentials(c.auth(), kerberos);
        this.authByClient = c.credentialsByClient().stream()
                .map(cc -> new ClientAuth(cc.clients(), new ProxyCredentials(cc.auth(), kerberos))).toList();
        this.tls = tls;
        this.forwardedFor = c.forwardedFor();
        this.policy = c.policy();
        this.http = c.http();
    }

    /** Builds it; the TLS material is loaded here and refused with a reason. No network: nothing logs in. */
    public static Upstream of(UpstreamConfig config, KerberosClients kerberos) {
        SslContext tls = null;
        if (config.proxies().stream().anyMatch(ProxyUrl::tls)) {
            try {
                tls = ProxyTls.context(config.tls());
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("upstream '" + config.name() + "': cannot set up TLS to its "
                        + "proxies: " + e.getMessage(), e);
            }
        }
        return new Upstream(config, tls, kerberos);
    }

    /**
     * The order to try the proxies in for one tunnel: those in service first, by the strategy, then those out of
     * service (never fail closed on stale health).
     */
    public Candidates candidates() {
        List<Proxy> healthy = new ArrayList<>();
        List<Proxy> down = new ArrayList<>();
        for (Proxy p : proxies) {
            (p.isUp() ? healthy : down).add(p);
        }
        switch (policy.strategy()) {
            case ROUND_ROBIN -> {
                if (!healthy.isEmpty()) {
                    int start = Math.floorMod(next.getAndIncrement(), healthy.size());
                    List<Proxy> rotated = new ArrayList<>(healthy.subList(start, healthy.size()));
                    rotated.addAll(healthy.subList(0, start));
                    healthy = rotated;
                }
            }
            case LEAST_LATENCY -> {
                // unknown latency sorts first, so a cold proxy is tried; now and then the runner-up goes first
                healthy.sort(Comparator.comparingDouble(Proxy::latencyMillis));
                if (healthy.size() > 1 && ThreadLocalRandom.current().nextInt(10) == 0) {
                    healthy.add(0, healthy.remove(1));
                }
            }
            default -> { }
        }
        List<Proxy> order = new ArrayList<>(healthy);
        order.addAll(down);
        int max = policy.attempts() == 0 ? order.size() : Math.min(policy.attempts(), order.size());
        return new Candidates(List.copyOf(order.subList(0, max)), healthy.isEmpty());
    }

    /** The credentials for {@code client}: the first {@code credentials_by_client} entry that holds it, or auth. */
    public ProxyCredentials credentialsFor(InetAddress client) {
        for (ClientAuth ca : authByClient) {
            for (Cidr c : ca.clients()) {
                if (c.contains(client)) {
                    return ca.credentials();
                }
            }
        }
        return credentials;
    }

    /** Every scheme any of its credentials may use (for metrics that exist from the start). */
    public java.util.Set<dev.sluice.config.AuthScheme> schemes() {
        java.util.Set<dev.sluice.config.AuthScheme> all = java.util.EnumSet.noneOf(dev.sluice.config.AuthScheme.class);
        allCredentials().forEach(c -> all.addAll(c.schemes()));
        return all;
    }

    /** Every set of credentials: {@code auth} and each {@code credentials_by_client} entry's. */
    List<ProxyCredentials> allCredentials() {
        List<ProxyCredentials> all = new ArrayList<>();
        if (credentials != null) {
            all.add(credentials);
        }
        authByClient.forEach(ca -> all.add(ca.credentials()));
        return all;
    }

    public String name() {
        return name;
    }

    public List<Proxy> proxies() {
        return proxies;
    }

    /** The upstream's own credentials ({@code auth}), or null. */
    public ProxyCredentials credentials() {
        return credentials;
    }

    public SslContext tls() {
        return tls;
    }

    public boolean forwardedFor() {
        return forwardedFor;
    }

    public UpstreamPolicy policy() {
        return policy;
    }

    /** How plain HTTP goes through this upstream's proxies. */
    public HttpMode http() {
        return http;
    }
}
