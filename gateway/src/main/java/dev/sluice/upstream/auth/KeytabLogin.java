package dev.sluice.upstream.auth;

import dev.sluice.config.Keytabs;
import java.nio.file.Path;
import java.time.Instant;
import javax.security.auth.Subject;
import javax.security.auth.kerberos.KerberosTicket;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

/**
 * One JAAS keytab login (an AS exchange with the KDC): a fresh Subject holding the TGT. Blocks for as long as the KDC
 * takes: call it only on the Kerberos executor. The keytab is checked first, offline, so that a missing or wrong file
 * is named as such instead of the JDK's "Unable to obtain password from user".
 */
final class KeytabLogin {
    private final String principal;
    private final Path keytab;
    private final KeytabLoginConfiguration configuration;

    KeytabLogin(String principal, Path keytab) {
        this.principal = principal;
        this.keytab = keytab;
        this.configuration = new KeytabLoginConfiguration(principal, keytab);
    }

    Login login() throws AuthException {
        String problem = Keytabs.problem(keytab, principal);
        if (problem != null) {
            throw failed(problem);
        }
        Subject subject = new Subject();
        try {
            new LoginContext(KeytabLoginConfiguration.NAME, subject, null, configuration).login();
        } catch (LoginException | RuntimeException e) {
            throw failed(KerberosErrors.reason(e, realm(principal)));
        }
        KerberosTicket tgt = tgt(subject);
        if (tgt == null) {
            throw failed("the login gave no ticket-granting ticket");
        }
        Instant issued = tgt.getAuthTime() != null ? tgt.getAuthTime().toInstant()
                : tgt.getStartTime() != null ? tgt.getStartTime().toInstant() : Instant.now();
        return new Login(subject, issued, tgt.getEndTime().toInstant());
    }

    /** The realm of a principal name ("a/b@R" gives R), else the default realm known offline, else null. */
    static String realm(String principal) {
        int at = principal.lastIndexOf('@');
        return at >= 0 ? principal.substring(at + 1) : DefaultRealm.offline();
    }

    private AuthException failed(String reason) {
        return new AuthException("kerberos: login as " + principal + " from " + keytab + " failed: " + reason);
    }

    private static KerberosTicket tgt(Subject subject) {
        for (KerberosTicket ticket : subject.getPrivateCredentials(KerberosTicket.class)) {
            if (ticket.getServer() != null && ticket.getServer().getName().startsWith("krbtgt/")
                    && ticket.getEndTime() != null) {
                return ticket;
            }
        }
        return null;
    }
}
