package dev.sluice.upstream;

import dev.sluice.config.AuthScheme;

/**
 * Why one attempt at one proxy failed, typed: its {@link DialException.Kind}, the reason for the access log, how
 * telling it is (an answer from the proxy says more than a refused connection; the tunnel reports the most
 * telling of its attempts), whether it is the proxy's own fault (only then does it count against the proxy's
 * health: not reaching it, TLS failing, no or a malformed answer; never what it says about the destination), and
 * whether the next proxy is worth a try.
 */
public record AttemptFailure(DialException.Kind kind, String why, int rank, boolean proxyFault, boolean retry,
                             AuthScheme scheme) {

    /** The same failure, with the scheme that was in use when it came (when it has none of its own). */
    AttemptFailure during(AuthScheme inUse) {
        return scheme != null || inUse == null ? this
                : new AttemptFailure(kind, why, rank, proxyFault, retry, inUse);
    }

    /** No TCP connection: refused, unreachable, timed out, not resolved. */
    static AttemptFailure unreachable(String why) {
        return new AttemptFailure(DialException.Kind.CONNECT, why, 1, true, true, null);
    }

    /** The TLS session with an https:// proxy failed. */
    static AttemptFailure tls(String why) {
        return new AttemptFailure(DialException.Kind.CONNECT, why, 2, true, true, null);
    }

    /** The proxy went silent, hung up or broke HTTP. */
    static AttemptFailure broken(String why) {
        return new AttemptFailure(DialException.Kind.PROXY, why, 2, true, true, null);
    }

    /** The proxy answered with an error status: about the destination, or its own policy (403, final). */
    static AttemptFailure answered(ProxyResponse r) {
        boolean denied = r.status() == 403;
        return new AttemptFailure(denied ? DialException.Kind.DENIED : DialException.Kind.PROXY, r.statusLine(),
                denied ? 4 : 3, false, !denied, null);
    }

    /** The proxy answered, but not in a way the exchange can go on with (a broken NTLM challenge...). */
    static AttemptFailure protocol(String why) {
        return new AttemptFailure(DialException.Kind.PROXY, why, 3, false, true, null);
    }

    /** Our credentials did not do (or none fit): final for the tunnel; the next proxy would see the same. */
    static AttemptFailure auth(String why, AuthScheme scheme) {
        return new AttemptFailure(DialException.Kind.AUTH, why, 5, false, false, scheme);
    }

    /** The gateway's own limit (out of descriptors): final, and nobody's fault but ours. */
    static AttemptFailure local(String why) {
        return new AttemptFailure(DialException.Kind.LOCAL, why, 0, false, false, null);
    }
}
