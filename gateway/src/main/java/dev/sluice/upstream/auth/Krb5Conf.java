package dev.sluice.upstream.auth;

/** STUB until the kerberos branch lands. */
public final class Krb5Conf {
    private Krb5Conf() {
    }

    public static void use(java.nio.file.Path krb5Conf) {
    }
}
