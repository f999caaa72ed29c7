package dev.sluice.upstream.auth;

import org.ietf.jgss.GSSException;
import org.ietf.jgss.Oid;

/** How the Negotiate token is wrapped. */
public enum GssMechanism {
    /** SPNEGO (RFC 4178) around a Kerberos AP-REQ: what browsers send and what Squid and Windows proxies expect. */
    SPNEGO("1.3.6.1.5.5.2"),
    /** The bare Kerberos v5 GSS token (RFC 4121), for the few proxies that accept only that. */
    KERBEROS("1.2.840.113554.1.2.2");

    private final String oid;

    GssMechanism(String oid) {
        this.oid = oid;
    }

    Oid oid() {
        try {
            return new Oid(oid);
        } catch (GSSException e) {
            throw new AssertionError("a constant OID does not parse: " + oid, e);
        }
    }
}
