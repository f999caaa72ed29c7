package dev.sluice.upstream.auth;

import java.nio.file.Path;

/**
 * The JVM-wide krb5.conf ({@code java.security.krb5.conf}), set once. Every client of the gateway shares the JDK's
 * one reading of it (each keytab login reads it again), so a second, different file would half-apply: refused.
 */
public final class Krb5Conf {
    static final String PROPERTY = "java.security.krb5.conf";

    private static Path chosen;
    private static String before;

    private Krb5Conf() {
    }

    /**
     * Sets {@code java.security.krb5.conf} to this file the first time; the same file again is a no-op; a different
     * one throws {@link IllegalStateException}. {@code null} leaves the JDK default (its own krb5.conf, else
     * /etc/krb5.conf).
     */
    public static synchronized void use(Path krb5Conf) {
        if (krb5Conf == null) {
            return;
        }
        Path file = krb5Conf.toAbsolutePath().normalize();
        if (chosen == null) {
            before = System.getProperty(PROPERTY);
            System.setProperty(PROPERTY, file.toString());
            chosen = file;
        } else if (!chosen.equals(file)) {
            throw new IllegalStateException("krb5_conf is JVM-wide and already set to " + chosen
                    + "; restart Sluice to use " + file);
        }
    }

    /** Tests only: forgets the file chosen and puts the property back as it was before the first {@link #use}. */
    static synchronized void forget() {
        if (chosen == null) {
            return;
        }
        if (before == null) {
            System.clearProperty(PROPERTY);
        } else {
            System.setProperty(PROPERTY, before);
        }
        chosen = null;
        before = null;
    }
}
