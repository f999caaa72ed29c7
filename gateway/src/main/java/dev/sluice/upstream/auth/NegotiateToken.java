package dev.sluice.upstream.auth;

import javax.security.auth.Subject;
import org.ietf.jgss.GSSContext;
import org.ietf.jgss.GSSException;
import org.ietf.jgss.GSSManager;
import org.ietf.jgss.GSSName;
import org.ietf.jgss.Oid;

/**
 * Makes one initial Negotiate token with the tickets of a login Subject: one GSSContext per token, no mutual
 * authentication, no delegation, disposed of at once. Blocks when the service ticket is not yet in the Subject (a
 * TGS exchange with the KDC): call it only on the Kerberos executor.
 */
final class NegotiateToken {
    /** GSS_KRB5_NT_PRINCIPAL_NAME (RFC 1964): "HTTP/proxy.corp.example@CORP.EXAMPLE". */
    private static final Oid KRB5_PRINCIPAL_NAME = oid("1.2.840.113554.1.2.2.1");
    private static final GSSManager GSS = GSSManager.getInstance();

    private NegotiateToken() {
    }

    /**
     * A token for {@code spn}: "HTTP@host" (a host-based service) or "HTTP/host[@REALM]" (a Kerberos principal name).
     * It runs with {@code subject} current, so JGSS takes the TGT from it and keeps the service ticket it gets in it:
     * the next token for the same SPN needs no KDC.
     */
    static byte[] make(Subject subject, String spn, GssMechanism mechanism) throws Exception {
        return SubjectCalls.callAs(subject, () -> initial(spn, mechanism));
    }

    private static byte[] initial(String spn, GssMechanism mechanism) throws GSSException {
        GSSName server = spn.indexOf('/') >= 0
                ? GSS.createName(spn, KRB5_PRINCIPAL_NAME)
                : GSS.createName(spn, GSSName.NT_HOSTBASED_SERVICE);
        GSSContext context = GSS.createContext(server, mechanism.oid(), null, GSSContext.DEFAULT_LIFETIME);
        try {
            context.requestMutualAuth(false);
            context.requestCredDeleg(false);
            byte[] token = context.initSecContext(new byte[0], 0, 0);
            if (token == null || token.length == 0) {
                throw new GSSException(GSSException.FAILURE, -1, "the mechanism made an empty token");
            }
            return token;
        } finally {
            context.dispose();
        }
    }

    private static Oid oid(String dotted) {
        try {
            return new Oid(dotted);
        } catch (GSSException e) {
            throw new AssertionError("a constant OID does not parse: " + dotted, e);
        }
    }
}
