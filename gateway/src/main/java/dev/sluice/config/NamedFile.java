package dev.sluice.config;

import java.nio.file.Path;

/**
 * A file the configuration names, noted while parsing (which only resolves its path) and looked at on disk
 * afterwards by {@link FileChecks}: {@code at} is the position of the value that named it, {@code what} the key as
 * errors name it. A keytab carries the principal it must hold keys for (null when that principal is wrong); a
 * password file the {@link Secret} to fill with its password.
 */
record NamedFile(Kind kind, Position at, String what, Path path, String principal, Secret secret) {

    /** What the file must be. */
    enum Kind {
        /** A readable regular file (a TLS client key). */
        READABLE,
        /** A readable PEM file of X.509 certificates (a CA file, a client certificate). */
        CERTIFICATES,
        /** A one-line password, for a user only. */
        PASSWORD,
        /** A keytab with keys for the principal, for a user only. */
        KEYTAB,
        /** A readable krb5.conf, the same for the whole gateway. */
        KRB5_CONF,
        /** An access log file, in a directory that exists. */
        ACCESS_LOG
    }
}
