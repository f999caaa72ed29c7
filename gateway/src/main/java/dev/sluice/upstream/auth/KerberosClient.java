package dev.sluice.upstream.auth;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kerberos initiator for one principal and keytab: logs in from the keytab on its own executor, logs in again
 * before 80 % of the ticket lifetime (the JDK never refreshes a keytab login) and swaps the credential atomically,
 * and makes Negotiate tokens on that executor. Nothing here blocks its caller.
 *
 * <p>Service tickets are kept in the login's Subject (JGSS stores them there when it makes a token with that Subject
 * current), so after the first token for an SPN, tokens for it need no KDC until the next login.
 */
public final class KerberosClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KerberosClient.class);
    private static final AtomicBoolean WARNED_SUBJECT_CREDS = new AtomicBoolean();

    private final String principal;
    private final Path keytab;
    private final ScheduledExecutorService executor;
    private final Clock clock;
    private final Backoff backoff;
    private final KeytabLogin keytabLogin;

    private final AtomicBoolean started = new AtomicBoolean();
    /** Completes (normally) when the first login attempt has ended either way; tokens wait for it. */
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private final AtomicReference<Login> current = new AtomicReference<>();
    private volatile AuthException lastFailure;
    private volatile boolean closed;
    /** Failed logins in a row; read and written only by the login task (one at a time). */
    private int failures;
    /** When the next login is due, by {@link #clock}. */
    private Instant due; // guarded by this
    private ScheduledFuture<?> wakeUp; // guarded by this

    /** A client on the shared Kerberos executor (2 daemon threads "sluice-kerberos-N"), retrying from 5 s to 5 min. */
    public KerberosClient(String principal, Path keytab) {
        this(principal, keytab, KerberosThreads.shared(), Clock.systemUTC(), Backoff.DEFAULT.first(),
                Backoff.DEFAULT.max());
    }

    /**
     * For tests and embedding: logins and tokens run on {@code executor}; {@code clock} says when a ticket has ended
     * and when to log in again; a failed login is retried after {@code firstRetry}, doubling up to {@code maxRetry}.
     */
    public KerberosClient(String principal, Path keytab, ScheduledExecutorService executor, Clock clock,
                          Duration firstRetry, Duration maxRetry) {
        this.principal = Objects.requireNonNull(principal, "principal");
        this.keytab = Objects.requireNonNull(keytab, "keytab");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.backoff = new Backoff(firstRetry, maxRetry);
        this.keytabLogin = new KeytabLogin(principal, keytab);
        if ("false".equalsIgnoreCase(System.getProperty("javax.security.auth.useSubjectCredsOnly"))
                && WARNED_SUBJECT_CREDS.compareAndSet(false, true)) {
            LOG.warn("kerberos: javax.security.auth.useSubjectCredsOnly=false: the JDK keeps no service ticket, "
                    + "every Negotiate token asks the KDC");
        }
    }

    /** Starts the first login in the background; idempotent; never blocks. */
    public void start() {
        if (started.compareAndSet(false, true)) {
            LOG.debug("kerberos: logging in as {} from {} ({})", principal, keytab, SubjectCalls.how());
            loginAt(clock.instant());
        }
    }

    /**
     * A fresh initial token for {@code spn}: "HTTP@proxy.corp.example" (a host-based service) or
     * "HTTP/proxy.corp.example[@REALM]" (a Kerberos principal name). Completed on the Kerberos executor; waits for a
     * login in progress, starts one if none was started. Fails with an {@link AuthException} naming the principal,
     * the SPN and the Kerberos reason in plain words.
     */
    public CompletableFuture<byte[]> initialToken(String spn, GssMechanism mechanism) {
        Objects.requireNonNull(spn, "spn");
        Objects.requireNonNull(mechanism, "mechanism");
        start();
        CompletableFuture<byte[]> token = new CompletableFuture<>();
        firstAttempt.whenComplete((ignored, neverFails) -> submit(token, spn, mechanism));
        return token;
    }

    public String principal() {
        return principal;
    }

    public Path keytab() {
        return keytab;
    }

    /** When the current ticket-granting ticket ends; null before the first successful login. */
    public Instant ticketEnd() {
        Login login = current.get();
        return login == null ? null : login.end();
    }

    /** Stops logging in again; tokens keep being made with the ticket held. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (wakeUp != null) {
                wakeUp.cancel(false);
            }
        }
        firstAttempt.complete(null);
    }

    private void submit(CompletableFuture<byte[]> token, String spn, GssMechanism mechanism) {
        try {
            executor.execute(() -> {
                if (token.isDone()) {
                    return; // cancelled: the handshake that asked gave up (timeout, client gone)
                }
                try {
                    token.complete(make(spn, mechanism));
                } catch (AuthException e) {
                    token.completeExceptionally(e);
                } catch (RuntimeException | Error e) {
                    token.completeExceptionally(noToken(spn, KerberosErrors.reason(e, realm()), e));
                }
            });
        } catch (RejectedExecutionException e) {
            token.completeExceptionally(noToken(spn, "the Kerberos executor is shut down", null));
        }
    }

    /** On the executor: a token from the current login, or why there is none. */
    private byte[] make(String spn, GssMechanism mechanism) throws AuthException {
        Login login = current.get();
        if (login == null || !login.validAt(clock.instant())) {
            AuthException last = lastFailure;
            if (last != null) {
                throw last;
            }
            throw noToken(spn, login == null ? "not logged in" : "the ticket-granting ticket ended at " + login.end(),
                    null);
        }
        try {
            return NegotiateToken.make(login.subject(), spn, mechanism);
        } catch (Exception e) {
            throw new AuthException("kerberos: no service ticket for " + spn + " as " + principal + ": "
                    + KerberosErrors.reason(e, realm()), e);
        }
    }

    /** The principal's realm, for "Cannot contact any KDC for realm 'R'" (on the executor: it may read krb5.conf). */
    private String realm() {
        return KeytabLogin.realm(principal);
    }

    private AuthException noToken(String spn, String reason, Throwable cause) {
        return new AuthException("kerberos: no token for " + spn + " as " + principal + ": " + reason, cause);
    }

    /** On the executor: one login; then the next one scheduled, at 80 % of the ticket lifetime or after a backoff. */
    private void login() {
        if (closed) {
            return;
        }
        try {
            Login fresh = keytabLogin.login();
            current.set(fresh);
            lastFailure = null;
            failures = 0;
            Instant earliest = clock.instant().plus(backoff.first());
            Instant next = fresh.reloginAt().isBefore(earliest) ? earliest : fresh.reloginAt();
            LOG.info("kerberos: logged in as {} from {}; ticket valid until {}, next login at {}",
                    principal, keytab, fresh.end(), closed ? "none (closed)" : next);
            loginAt(next);
        } catch (AuthException | RuntimeException e) {
            AuthException failure = e instanceof AuthException a ? a
                    : new AuthException("kerberos: login as " + principal + " from " + keytab + " failed: "
                            + KerberosErrors.reason(e, realm()), e);
            lastFailure = failure;
            failures++;
            if (closed) {
                return; // closed while this login ran (a reload dropped the client): say nothing, try no more
            }
            Duration wait = backoff.after(failures);
            Instant now = clock.instant();
            Login held = current.get();
            LOG.warn("{}; next try in {}{}", failure.getMessage(), Backoff.words(wait),
                    held != null && held.validAt(now)
                            ? " (tokens still use the ticket valid until " + held.end() + ")" : "");
            loginAt(now.plus(wait));
        } finally {
            firstAttempt.complete(null);
        }
    }

    /**
     * Logs in when {@code at} has come by the clock. The executor waits on a monotonic clock, which stands still
     * while the host is suspended and knows nothing of a stepped wall clock; so it wakes at least every first retry
     * interval and compares with the wall clock, and a ticket cannot run out unnoticed.
     */
    private synchronized void loginAt(Instant at) {
        due = at;
        wakeUp();
    }

    private synchronized void wakeUp() {
        if (closed) {
            firstAttempt.complete(null);
            return;
        }
        Duration left = Duration.between(clock.instant(), due);
        Duration sleep = left.compareTo(backoff.first()) > 0 ? backoff.first() : left;
        try {
            wakeUp = executor.schedule(this::onWakeUp, Math.max(0, sleep.toMillis()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            lastFailure = new AuthException("kerberos: cannot log in as " + principal
                    + ": the Kerberos executor is shut down");
            firstAttempt.complete(null);
        }
    }

    private void onWakeUp() {
        boolean now;
        synchronized (this) {
            if (closed) {
                return;
            }
            now = !clock.instant().isBefore(due);
            if (!now) {
                wakeUp();
            }
        }
        if (now) {
            login();
        }
    }
}
