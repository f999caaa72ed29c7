package dev.sluice.upstream;

import dev.sluice.config.AuthConfig;
import dev.sluice.config.AuthScheme;
import dev.sluice.config.NegotiateAuth;
import dev.sluice.upstream.auth.GssMechanism;
import dev.sluice.upstream.auth.KerberosClient;
import dev.sluice.upstream.auth.NtlmCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One set of credentials for the proxies of an upstream (its {@code auth}, or a {@code credentials_by_client}
 * entry's), ready for handshakes: the Basic header, the NTLM account (its NT hash, not its password), the Kerberos
 * client; and, per proxy, the scheme it was last seen to want, so later tunnels send it at once (one leg).
 * Shared by all event loops. Never shows a secret.
 */
public final class ProxyCredentials {
    /** Off only to measure the first, non-preemptive exchange (bench): {@code -Dsluice.auth.preemptive=false}. */
    private static final boolean PREEMPTIVE = !"false".equals(System.getProperty("sluice.auth.preemptive"));

    private final AuthConfig config;
    private final String basicHeader;
    private final NtlmCredentials ntlm;
    private final KerberosClient kerberos;
    private final NegotiateTokens tokens;
    private final Map<Proxy, AuthScheme> wanted = new ConcurrentHashMap<>();

    /** Makes Negotiate tokens: the Kerberos client in the gateway, a stand-in in handshake tests. */
    interface NegotiateTokens {
        /** A token for {@code spn}, completed on another thread; failed with an AuthException. */
        CompletableFuture<byte[]> token(String spn, GssMechanism mechanism);
    }

    ProxyCredentials(AuthConfig config, KerberosClients kerberosClients) {
        this(config, config.negotiate() == null ? null : kerberosClients.client(config.negotiate()));
    }

    private ProxyCredentials(AuthConfig config, KerberosClient kerberos) {
        this(config, kerberos, kerberos == null ? null : kerberos::initialToken);
    }

    /** With {@code tokens} standing in for Kerberos (tests). */
    ProxyCredentials(AuthConfig config, KerberosClient kerberos, NegotiateTokens tokens) {
        this.config = config;
        this.basicHeader = config.basic() == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (config.basic().username() + ":" + config.basic().password().reveal())
                        .getBytes(StandardCharsets.UTF_8));
        this.ntlm = config.ntlm() == null ? null : new NtlmCredentials(config.ntlm().username(),
                config.ntlm().domain(), config.ntlm().password().reveal(), config.ntlm().workstation());
        this.kerberos = kerberos;
        this.tokens = tokens;
    }

    /** The schemes to use, in order of preference. */
    public List<AuthScheme> schemes() {
        return config.schemes();
    }

    public AuthConfig config() {
        return config;
    }

    boolean has(AuthScheme s) {
        return config.schemes().contains(s);
    }

    String basicHeader() {
        return basicHeader;
    }

    NtlmCredentials ntlm() {
        return ntlm;
    }

    /** The Kerberos client to log in with (null without negotiate, or in tests). */
    KerberosClient kerberos() {
        return kerberos;
    }

    /** A Negotiate token for {@code proxy}, made elsewhere than the calling event loop. */
    CompletableFuture<byte[]> negotiateToken(Proxy proxy) {
        return tokens.token(spn(proxy), mechanism());
    }

    /** The service principal to ask a ticket for, for {@code proxy}. */
    String spn(Proxy proxy) {
        return config.negotiate() == null ? null : config.negotiate().spnFor(proxy.url().host());
    }

    GssMechanism mechanism() {
        return config.negotiate() != null && config.negotiate().mechanism() == NegotiateAuth.Mechanism.KERBEROS
                ? GssMechanism.KERBEROS : GssMechanism.SPNEGO;
    }

    /** The scheme to send at once to {@code proxy}, before it asks: what it wanted last time; Basic when alone. */
    AuthScheme preemptive(Proxy proxy) {
        AuthScheme s = PREEMPTIVE ? wanted.get(proxy) : null;
        if (s == null && config.basicOnly()) {
            return AuthScheme.BASIC; // one leg
        }
        return s;
    }

    /** {@code proxy} asked for {@code s}, or took it. */
    void remember(Proxy proxy, AuthScheme s) {
        wanted.put(proxy, s);
    }

    /** {@code s} failed at {@code proxy}: ask first next time. */
    void forget(Proxy proxy, AuthScheme s) {
        wanted.remove(proxy, s);
    }

    /** Who the gateway is for {@code s}, for log lines: a user name or principal, never a secret. */
    String who(AuthScheme s) {
        return config.who(s);
    }

    @Override
    public String toString() {
        return "ProxyCredentials[" + config.describe() + "]";
    }
}
