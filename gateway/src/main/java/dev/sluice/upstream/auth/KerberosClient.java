package dev.sluice.upstream.auth;

import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/** STUB until the kerberos branch lands. */
public final class KerberosClient implements AutoCloseable {
    private final String principal;
    private final Path keytab;

    public KerberosClient(String principal, Path keytab) {
        this.principal = principal;
        this.keytab = keytab;
    }

    public void start() {
    }

    public CompletableFuture<byte[]> initialToken(String spn, GssMechanism mechanism) {
        return CompletableFuture.failedFuture(new AuthException("kerberos: not built yet"));
    }

    public String principal() {
        return principal;
    }

    public Path keytab() {
        return keytab;
    }

    public Instant ticketEnd() {
        return null;
    }

    @Override
    public void close() {
    }
}
