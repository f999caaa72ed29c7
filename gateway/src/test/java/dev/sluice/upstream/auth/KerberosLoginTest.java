package dev.sluice.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Logging in from the keytab, again before the ticket ends, and what the operator reads when it fails. One realm per
 * situation in this class's krb5.conf, so that stopping or delaying one KDC touches no other test.
 */
class KerberosLoginTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration BLACKHOLE_TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    static Path dir;

    private static TestKdc login;
    private static TestKdc shortLived;
    private static TestKdc late;
    private static TestKdc skew;
    private static TestKdc gone;
    private static ServerSocket blackhole;
    private static TestKrb5Conf krb5Conf;

    private ScheduledExecutorService executor;
    private LogCapture log;

    @BeforeAll
    static void kdcs() throws Exception {
        login = TestKdc.create(dir, "LOGIN.TEST").start();
        login.principal("gw");
        shortLived = TestKdc.create(dir, "SHORT.TEST").ticketLifetime(Duration.ofSeconds(4)).start();
        late = TestKdc.create(dir, "LATE.TEST");
        skew = TestKdc.create(dir, "SKEW.TEST").allowableClockSkew(0).preauthRequired(false).start();
        gone = TestKdc.create(dir, "GONE.TEST").start();
        // accepts connections (the kernel does, into the backlog) and never answers a byte
        blackhole = new ServerSocket(TestKdc.freePort(), 50, InetAddress.getLoopbackAddress());
        krb5Conf = TestKrb5Conf.write(dir, "LOGIN.TEST", login.realmBlock(), shortLived.realmBlock(),
                late.realmBlock(), skew.realmBlock(), gone.realmBlock(),
                TestKdc.realmBlock("BLACKHOLE.TEST", blackhole.getLocalPort(), BLACKHOLE_TIMEOUT));
    }

    @AfterAll
    static void stop() throws Exception {
        krb5Conf.close();
        blackhole.close();
        for (TestKdc kdc : new TestKdc[] {login, shortLived, late, skew, gone}) {
            kdc.close();
        }
    }

    @BeforeEach
    void capture() {
        executor = Executors.newScheduledThreadPool(2);
        log = new LogCapture(KerberosClient.class);
    }

    @AfterEach
    void release() {
        log.close();
        executor.shutdownNow();
    }

    @Test
    void logsInAgainBeforeTheTicketEndsAndTokensNeverFailAcrossIt() throws Exception {
        TestAcceptor proxy = TestAcceptor.login("HTTP/proxy.short.test@SHORT.TEST",
                shortLived.keytab("HTTP/proxy.short.test"));
        try (KerberosClient client = client("gw@SHORT.TEST", shortLived.keytab("gw"), Clock.systemUTC())) {
            client.start();
            await().atMost(WAIT).until(() -> client.ticketEnd() != null);
            Instant firstEnd = client.ticketEnd();
            assertThat(firstEnd).isBefore(Instant.now().plusSeconds(5));

            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger acceptedAfterRelogin = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            // tokens one after another, as connections would ask for them, until well after the second login
            await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> {
                try {
                    byte[] token = client.initialToken("HTTP@proxy.short.test", GssMechanism.SPNEGO)
                            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    assertThat(proxy.accept(token)).isEqualTo("gw@SHORT.TEST");
                    accepted.incrementAndGet();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                if (client.ticketEnd().isAfter(firstEnd)) {
                    acceptedAfterRelogin.incrementAndGet();
                }
                return failure.get() != null || acceptedAfterRelogin.get() >= 20;
            });

            assertThat(failure.get()).as("a token failed across the new login").isNull();
            assertThat(client.ticketEnd()).isAfter(firstEnd);
            // the second ticket is renewed 2.2 s or more after it came: a third login at most on a slow machine
            assertThat(log.count(Level.INFO, "kerberos: logged in as gw@SHORT.TEST from ")).isBetween(2L, 3L);
            assertThat(log.lines(Level.WARN)).isEmpty();
            assertThat(accepted.get()).isGreaterThan(20);
        }
    }

    @Test
    void validTicketKeepsServingWhileLoginFailsAndAnEndedOneDoesNot() throws Exception {
        TestAcceptor proxy = TestAcceptor.login("HTTP/proxy.gone.test@GONE.TEST", gone.keytab("HTTP/proxy.gone.test"));
        MovableClock clock = new MovableClock();
        Path keytab = gone.keytab("gw");
        try (KerberosClient client = client("gw@GONE.TEST", keytab, clock)) {
            assertThat(proxy.accept(token(client, "HTTP@proxy.gone.test"))).isEqualTo("gw@GONE.TEST");
            Instant end = client.ticketEnd();

            gone.stop();
            clock.set(end.minus(Duration.ofHours(1))); // past 80 % of the day the ticket lasts: time to log in again
            await().atMost(WAIT).until(() -> !log.lines(Level.WARN).isEmpty());
            assertThat(log.lines(Level.WARN).get(0)).isEqualTo("WARN kerberos: login as gw@GONE.TEST from "
                    + keytab + " failed: Cannot contact any KDC for realm 'GONE.TEST' (connection refused); "
                    + "next try in 100 ms (tokens still use the ticket valid until " + end + ")");
            assertThat(proxy.accept(token(client, "HTTP@proxy.gone.test"))).isEqualTo("gw@GONE.TEST");

            clock.set(end.plusSeconds(1));
            assertThatThrownBy(() -> token(client, "HTTP@proxy.gone.test"))
                    .cause().isInstanceOf(AuthException.class)
                    .hasMessage("kerberos: login as gw@GONE.TEST from " + keytab + " failed: "
                            + "Cannot contact any KDC for realm 'GONE.TEST' (connection refused)");
        }
    }

    @Test
    void kdcDownAtStartIsRetriedWithBackoffUntilItAnswers() throws Exception {
        try (KerberosClient client = client("gw@LATE.TEST", late.keytab("gw"), Clock.systemUTC())) {
            client.start();
            await().atMost(WAIT).until(() -> log.lines(Level.WARN).size() >= 3);
            assertThatThrownBy(() -> token(client, "HTTP@proxy.late.test"))
                    .cause().isInstanceOf(AuthException.class)
                    .hasMessageMatching("kerberos: login as gw@LATE\\.TEST from .*/gw\\.keytab failed: "
                            + "Cannot contact any KDC for realm 'LATE\\.TEST' \\(connection refused\\)");

            late.start();
            await().atMost(WAIT).until(() -> client.ticketEnd() != null);
            TestAcceptor proxy = TestAcceptor.login("HTTP/proxy.late.test@LATE.TEST",
                    late.keytab("HTTP/proxy.late.test"));
            assertThat(proxy.accept(token(client, "HTTP@proxy.late.test"))).isEqualTo("gw@LATE.TEST");

            assertThat(log.lines(Level.WARN).subList(0, 3)).allMatch(l -> l.matches(
                    "WARN kerberos: login as gw@LATE\\.TEST from .*/gw\\.keytab failed: Cannot contact any KDC for "
                            + "realm 'LATE\\.TEST' \\(connection refused\\); next try in \\d+ ms"))
                    .extracting(l -> l.substring(l.lastIndexOf("next try in ")))
                    .containsExactly("next try in 100 ms", "next try in 200 ms", "next try in 400 ms");
            assertThat(log.lines(Level.INFO)).last().asString()
                    .startsWith("INFO kerberos: logged in as gw@LATE.TEST from ");
        }
    }

    /** Kerby answers a wrong key with 31 (MIT and AD: 24, "Pre-authentication information was invalid"): same hint. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        wrong key (another key version)   | gw@LOGIN.TEST      | stray gw@LOGIN.TEST    | Integrity check on decrypted field failed (31) - the keytab's key does not match the KDC's (an old key version, or another principal's key)
        another principal's keytab         | gw@LOGIN.TEST      | kdc other              | holds no key for gw@LOGIN.TEST (it has: other@LOGIN.TEST)
        no keytab                          | gw@LOGIN.TEST      | missing                | no such file
        principal the KDC does not know    | ghost@LOGIN.TEST   | stray ghost@LOGIN.TEST | Client not found in Kerberos database (6)
        """)
    void loginFailureIsOneClearWarningAndTheTokensReason(String situation, String principal, String keytabKind,
                                                          String reason) throws Exception {
        Path keytab = keytab(keytabKind);
        try (KerberosClient client = new KerberosClient(principal, keytab, executor, Clock.systemUTC(),
                Duration.ofMinutes(1), Duration.ofMinutes(5))) {
            String expected = "kerberos: login as " + principal + " from " + keytab + " failed: " + reason;
            assertThatThrownBy(() -> token(client, "HTTP@proxy.login.test"))
                    .cause().isInstanceOf(AuthException.class).hasMessage(expected);
            assertThat(log.lines()).containsExactly("WARN " + expected + "; next try in 60 s");
        }
    }

    @Test
    void clockSkewIsNamed() throws Exception {
        try (KerberosClient client = client("gw@SKEW.TEST", skew.keytab("gw"), Clock.systemUTC())) {
            skew.principal("HTTP/proxy.skew.test");
            assertThatThrownBy(() -> token(client, "HTTP@proxy.skew.test"))
                    .cause().isInstanceOf(AuthException.class)
                    .hasMessage("kerberos: no service ticket for HTTP@proxy.skew.test as gw@SKEW.TEST: "
                            + "Clock skew too great (37) - "
                            + "this host's clock and the KDC's differ too much (check NTP)");
        }
    }

    @Test
    void tokenRequestReturnsAtOnceWhileTheKdcNeverAnswersAndFailsAfterKdcTimeout() throws Exception {
        Path keytab = TestKdc.strayKeytab(dir.resolve("blackhole-gw.keytab"), "gw@BLACKHOLE.TEST", 1);
        try (KerberosClient client = client("gw@BLACKHOLE.TEST", keytab, Clock.systemUTC())) {
            long t0 = System.nanoTime();
            CompletableFuture<byte[]> token = client.initialToken("HTTP@proxy.blackhole.test", GssMechanism.SPNEGO);
            long returnedAfter = System.nanoTime() - t0;

            assertThat(Duration.ofNanos(returnedAfter)).isLessThan(Duration.ofMillis(100));
            assertThat(token).isNotDone();
            await().atMost(BLACKHOLE_TIMEOUT.plusSeconds(4)).until(token::isDone);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(BLACKHOLE_TIMEOUT);
            assertThatThrownBy(token::get).cause().isInstanceOf(AuthException.class)
                    .hasMessage("kerberos: login as gw@BLACKHOLE.TEST from " + keytab + " failed: "
                            + "Cannot contact any KDC for realm 'BLACKHOLE.TEST' (no answer within kdc_timeout)");
        }
    }

    private KerberosClient client(String principal, Path keytab, Clock clock) {
        return new KerberosClient(principal, keytab, executor, clock, Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    private static byte[] token(KerberosClient client, String spn) throws Exception {
        return client.initialToken(spn, GssMechanism.SPNEGO).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static Path keytab(String kind) throws Exception {
        String[] words = kind.split(" ");
        return switch (words[0]) {
            case "stray" -> TestKdc.strayKeytab(dir.resolve("stray-" + words[1] + ".keytab"), words[1], 7);
            case "kdc" -> login.keytab(words[1]);
            case "missing" -> dir.resolve("missing.keytab");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** The wall clock, or the instant the test set it to. */
    static final class MovableClock extends Clock {
        private final AtomicReference<Instant> fixed = new AtomicReference<>();

        void set(Instant instant) {
            fixed.set(instant);
        }

        @Override
        public Instant instant() {
            Instant set = fixed.get();
            return set == null ? Instant.now() : set;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
