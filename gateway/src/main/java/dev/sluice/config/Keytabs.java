package dev.sluice.config;

import java.nio.file.Path;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KeyTab;

/** What {@code check} verifies of a keytab without any network: it parses and holds keys for the principal. */
final class Keytabs {
    private Keytabs() {
    }

    /** Null when fine, else the problem in words. */
    static String problem(Path keytab, String principal) {
        KerberosPrincipal p;
        try {
            p = new KerberosPrincipal(principal, KerberosPrincipal.KRB_NT_PRINCIPAL);
        } catch (IllegalArgumentException e) {
            return "bad principal " + principal + ": " + e.getMessage();
        }
        KeyTab kt = KeyTab.getInstance(p, keytab.toFile());
        if (!kt.exists()) {
            return "no such file";
        }
        return kt.getKeys(p).length == 0 ? "holds no key for " + principal : null;
    }
}
