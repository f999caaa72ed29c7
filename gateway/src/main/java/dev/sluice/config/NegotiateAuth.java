package dev.sluice.config;

import java.nio.file.Path;

/**
 * Kerberos credentials for Negotiate: a principal (with its realm) and the keytab that holds its keys;
 * {@code krb5Conf} (JVM-wide, null for the JDK's default), {@code spn} (null: {@code HTTP@<proxy host>}) and
 * whether tokens are wrapped in SPNEGO (the default) or sent as raw Kerberos.
 */
public record NegotiateAuth(String principal, Path keytab, Path krb5Conf, String spn, Mechanism mechanism) {

    /** How the Kerberos token is wrapped. */
    public enum Mechanism { SPNEGO, KERBEROS }

    /** The service principal for a proxy named {@code host}: the {@code spn} key, else {@code HTTP@host}. */
    public String spnFor(String host) {
        return spn != null ? spn : "HTTP@" + host.toLowerCase(java.util.Locale.ROOT);
    }
}
