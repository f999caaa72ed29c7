package dev.sluice.upstream.auth;

import java.nio.file.Path;
import java.util.Map;
import javax.security.auth.Subject;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;
import org.ietf.jgss.GSSContext;
import org.ietf.jgss.GSSCredential;
import org.ietf.jgss.GSSException;
import org.ietf.jgss.GSSManager;
import org.ietf.jgss.Oid;

/**
 * The proxy's side, as Squid's negotiate_kerberos_auth does it: the JDK's GSS acceptor with the service's keys from
 * its keytab, accepting SPNEGO and raw Kerberos tokens. Thread-safe: one GSSContext per token.
 */
final class TestAcceptor {
    private final Subject subject;

    private TestAcceptor(Subject subject) {
        this.subject = subject;
    }

    /** The acceptor for {@code principal} ("HTTP/proxy.main.test@MAIN.TEST") with its keys from {@code keytab}. */
    static TestAcceptor login(String principal, Path keytab) throws LoginException {
        Map<String, String> options = Map.of(
                "useKeyTab", "true",
                "keyTab", keytab.toString(),
                "principal", principal,
                "storeKey", "true",
                "isInitiator", "false",
                "doNotPrompt", "true",
                "refreshKrb5Config", "false",
                "useTicketCache", "false");
        Configuration jaas = new Configuration() {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
                return new AppConfigurationEntry[] {new AppConfigurationEntry(
                        "com.sun.security.auth.module.Krb5LoginModule",
                        AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options)};
            }
        };
        Subject subject = new Subject();
        new LoginContext("acceptor", subject, null, jaas).login();
        return new TestAcceptor(subject);
    }

    /** Accepts one initial token and says who sent it ("gw@MAIN.TEST"); throws when the token is refused. */
    String accept(byte[] token) throws Exception {
        return SubjectCalls.callAs(subject, () -> {
            GSSManager gss = GSSManager.getInstance();
            GSSCredential keys = gss.createCredential(null, GSSCredential.INDEFINITE_LIFETIME,
                    new Oid[] {GssMechanism.SPNEGO.oid(), GssMechanism.KERBEROS.oid()}, GSSCredential.ACCEPT_ONLY);
            GSSContext context = gss.createContext(keys);
            try {
                context.acceptSecContext(token, 0, token.length);
                if (!context.isEstablished()) {
                    throw new GSSException(GSSException.FAILURE, -1, "one token did not establish the context");
                }
                return context.getSrcName().toString();
            } finally {
                context.dispose();
            }
        });
    }

    /** The mechanism OID in a token's RFC 2743 header ("1.3.6.1.5.5.2" for SPNEGO). */
    static String mechanismOf(byte[] token) throws GSSException {
        if (token.length < 4 || token[0] != 0x60) {
            throw new GSSException(GSSException.DEFECTIVE_TOKEN, -1, "no GSS header");
        }
        int at = 2;
        if ((token[1] & 0x80) != 0) {
            at += token[1] & 0x7f;
        }
        if (token[at] != 0x06) {
            throw new GSSException(GSSException.DEFECTIVE_TOKEN, -1, "no mechanism OID");
        }
        int length = token[at + 1];
        byte[] der = new byte[length + 2];
        System.arraycopy(token, at, der, 0, der.length);
        return new Oid(der).toString();
    }
}
