package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;
import dev.sluice.upstream.auth.AuthException;
import dev.sluice.upstream.auth.NtlmClient;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The authentication of one tunnel's attempt at one proxy, across its legs (and at most one more connection):
 * which scheme, which message of it comes next, and when to give up. Chooses from what the proxy offers and what
 * is configured, in the configured order; stays in NTLM after an NTLM challenge; falls back from a failed
 * Negotiate to NTLM on a new connection. Never more than {@value #MAX_LEGS} legs. Used on one event loop; the
 * only work elsewhere is a Kerberos token, which comes back as a future.
 */
final class AuthSession {
    static final int MAX_LEGS = 4;

    /** What to do next. */
    sealed interface Step permits Send, Fail {
    }

    /**
     * Send CONNECT again with this {@code Proxy-Authorization} value (a future: Kerberos tokens are made on an
     * executor of their own), on this connection or, if {@code newConnection}, on a new one.
     */
    record Send(CompletableFuture<String> header, boolean newConnection) implements Step {
    }

    /**
     * Give up on this proxy: {@code kind} AUTH (credentials, SPN, no common scheme) or PROXY (it broke NTLM);
     * {@code scheme} the one that failed, or null.
     */
    record Fail(DialException.Kind kind, String why, AuthScheme scheme) implements Step {
    }

    private static final CompletableFuture<String> NONE = CompletableFuture.completedFuture(null);

    private final ProxyCredentials credentials; // null: no auth configured
    private final Proxy proxy;
    private final EnumSet<AuthScheme> failed = EnumSet.noneOf(AuthScheme.class);
    private AuthScheme current;
    private boolean finalSent; // the last leg carried our final message for current (a 407 to it is a refusal)
    private NtlmClient ntlm;
    private int legs;
    private boolean reconnected;

    AuthSession(ProxyCredentials credentials, Proxy proxy) {
        this.credentials = credentials;
        this.proxy = proxy;
    }

    /** The header for the first leg: the scheme this proxy wanted last time, at once; or none. */
    CompletableFuture<String> first() {
        AuthScheme s = credentials == null ? null : credentials.preemptive(proxy);
        return s == null ? NONE : start(s);
    }

    /** A leg went out. */
    void sent() {
        legs++;
    }

    int legs() {
        return legs;
    }

    /** The scheme that carried (or is carrying) the exchange, or null. */
    AuthScheme scheme() {
        return current;
    }

    /** The tunnel is up: remember what worked for the next one. */
    void established() {
        if (current != null) {
            credentials.remember(proxy, current);
        }
    }

    /** One reconnect per attempt; false when it has been used. */
    boolean mayReconnect() {
        if (reconnected) {
            return false;
        }
        reconnected = true;
        return true;
    }

    /**
     * The proxy answered 407 with these challenges; {@code open}: the connection can carry the next leg.
     */
    Step after407(List<Challenge> offered, boolean open) {
        if (credentials == null) {
            return fail(DialException.Kind.AUTH, "proxy requires authentication (offers " + Challenge.names(offered)
                    + ") and no auth is configured for it", null);
        }
        if (current == AuthScheme.NTLM && !finalSent) {
            Challenge ours = find(offered, AuthScheme.NTLM);
            if (ours != null) {
                return ntlmChallenge(ours, open);
            }
            current = null; // NTLM is no longer offered before anything was judged: choose again
        } else if (current != null) {
            return refused(offered, open);
        }
        return choose(offered, !open);
    }

    /**
     * The proxy hung up after its 407 although it said it would not, before answering our next leg: begin the
     * scheme again on a new connection (NTLM's last message cannot move: its challenge was on the old one).
     */
    Step restart() {
        if (current == null || current == AuthScheme.NTLM && finalSent) {
            return fail(DialException.Kind.PROXY, "proxy closed the connection after its "
                    + (current == null ? "407" : "NTLM challenge; NTLM needs the connection kept open"), current);
        }
        return next(current, true);
    }

    /**
     * Our token could not be made (a Kerberos error, or not within the connect timeout): fall back to NTLM when it
     * is configured and (as far as known) offered, else give up with the reason.
     */
    Step tokenFailed(AuthException e, List<Challenge> offered) {
        AuthScheme was = current;
        if (was == null) {
            return fail(DialException.Kind.AUTH, e.getMessage(), null); // only a Kerberos token can fail
        }
        credentials.forget(proxy, was);
        failed.add(was);
        current = null;
        if (was == AuthScheme.NEGOTIATE && credentials.has(AuthScheme.NTLM) && !failed.contains(AuthScheme.NTLM)
                && (offered == null || find(offered, AuthScheme.NTLM) != null)) {
            return next(AuthScheme.NTLM, false);
        }
        return fail(DialException.Kind.AUTH, e.getMessage(), was);
    }

    private Step ntlmChallenge(Challenge c, boolean open) {
        if (c.token() == null) {
            return fail(DialException.Kind.PROXY, "proxy answered our NTLM negotiate message with a bare NTLM "
                    + "challenge (no challenge message)", AuthScheme.NTLM);
        }
        if (!open) {
            return fail(DialException.Kind.PROXY, "proxy closed the connection after its NTLM challenge; NTLM "
                    + "needs the connection kept open (auth_param ntlm keep_alive on, in Squid)", AuthScheme.NTLM);
        }
        byte[] challenge;
        try {
            challenge = Base64.getDecoder().decode(c.token());
        } catch (IllegalArgumentException e) {
            return fail(DialException.Kind.PROXY, "bad NTLM challenge: not base64", AuthScheme.NTLM);
        }
        if (legs >= MAX_LEGS) {
            return tooManyLegs(AuthScheme.NTLM);
        }
        try {
            String header = "NTLM " + Base64.getEncoder().encodeToString(ntlm.authenticate(challenge));
            finalSent = true;
            return new Send(CompletableFuture.completedFuture(header), false);
        } catch (AuthException e) {
            return fail(DialException.Kind.PROXY, "bad NTLM challenge: " + e.getMessage(), AuthScheme.NTLM);
        }
    }

    /**
     * A 407 to our final message: these credentials do not work here (also when the proxy now offers other
     * schemes: it is never asked twice for one it refused). Negotiate may fall back to NTLM on a new connection
     * while one is left; another scheme the proxy offers instead may be tried.
     */
    private Step refused(List<Challenge> offered, boolean open) {
        AuthScheme was = current;
        credentials.forget(proxy, was);
        failed.add(was);
        current = null;
        boolean stillOffered = find(offered, was) != null;
        if (was == AuthScheme.NEGOTIATE && stillOffered && !reconnected && credentials.has(AuthScheme.NTLM)
                && find(offered, AuthScheme.NTLM) != null && !failed.contains(AuthScheme.NTLM)) {
            return next(AuthScheme.NTLM, true); // a fresh connection: no half-done Negotiate state at the proxy
        }
        if (!stillOffered) {
            return choose(offered, !open); // another scheme it offers now, or why none fits
        }
        return fail(DialException.Kind.AUTH, "proxy rejected the " + was.label() + " credentials of "
                + credentials.who(was) + (was == AuthScheme.NEGOTIATE ? " (SPN " + credentials.spn(proxy) + ")" : "")
                + (was == AuthScheme.NTLM ? " (407 to our authenticate message)" : " (407 to them)"), was);
    }

    /** The first configured scheme the proxy offers and that has not failed here. */
    private Step choose(List<Challenge> offered, boolean newConnection) {
        for (AuthScheme s : credentials.schemes()) {
            if (!failed.contains(s) && find(offered, s) != null) {
                credentials.remember(proxy, s); // it asked for it: later tunnels send it at once
                return next(s, newConnection);
            }
        }
        return fail(DialException.Kind.AUTH, "proxy offers " + Challenge.names(offered) + "; configured: "
                + String.join(", ", credentials.schemes().stream().map(AuthScheme::label).toList())
                + (failed.isEmpty() ? "" : " (tried here: " + String.join(", ",
                        failed.stream().map(AuthScheme::label).toList()) + ")"), null);
    }

    private Step next(AuthScheme s, boolean newConnection) {
        if (legs >= MAX_LEGS) {
            return tooManyLegs(s);
        }
        return new Send(start(s), newConnection);
    }

    private Step tooManyLegs(AuthScheme s) {
        return fail(DialException.Kind.AUTH, "proxy still asks for authentication after " + MAX_LEGS + " legs", s);
    }

    /** The end of this attempt: the scheme that failed is not sent at once to this proxy again. */
    private Step fail(DialException.Kind kind, String why, AuthScheme scheme) {
        if (scheme != null && credentials != null) {
            credentials.forget(proxy, scheme);
        }
        return new Fail(kind, why, scheme);
    }

    /** Begins {@code s}: its first message. */
    private CompletableFuture<String> start(AuthScheme s) {
        current = s;
        switch (s) {
            case BASIC -> {
                finalSent = true;
                return CompletableFuture.completedFuture(credentials.basicHeader());
            }
            case NTLM -> {
                finalSent = false;
                ntlm = new NtlmClient(credentials.ntlm());
                return CompletableFuture.completedFuture("NTLM " + Base64.getEncoder().encodeToString(
                        ntlm.negotiate()));
            }
            default -> {
                finalSent = true;
                CompletableFuture<byte[]> token = credentials.negotiateToken(proxy);
                CompletableFuture<String> header = token.thenApply(t -> "Negotiate "
                        + Base64.getEncoder().encodeToString(t));
                header.whenComplete((v, e) -> {
                    if (header.isCancelled()) {
                        token.cancel(false); // nobody waits for it: the Kerberos executor skips it
                    }
                });
                return header;
            }
        }
    }

    private static Challenge find(List<Challenge> offered, AuthScheme s) {
        for (Challenge c : offered) {
            if (c.scheme() == s) {
                return c;
            }
        }
        return null;
    }
}
