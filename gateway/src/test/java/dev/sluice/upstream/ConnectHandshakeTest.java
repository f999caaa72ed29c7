package dev.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.config.AuthConfig;
import dev.sluice.config.AuthScheme;
import dev.sluice.config.BasicAuth;
import dev.sluice.config.NegotiateAuth;
import dev.sluice.config.NtlmAuth;
import dev.sluice.config.ProxyUrl;
import dev.sluice.config.Secret;
import dev.sluice.upstream.auth.AuthException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslServer;
import org.junit.jupiter.api.Test;

/**
 * The CONNECT exchange on one connection, row by row, in an EmbeddedChannel: what goes out, what each answer
 * leads to, and how it ends (a tunnel with the bytes after the 200 kept, a typed failure, or a reconnect).
 */
class ConnectHandshakeTest {
    static final String CONNECT = "CONNECT proxy.golang.org:443 HTTP/1.1\r\nHost: proxy.golang.org:443\r\n"
            + "Proxy-Connection: keep-alive\r\n";
    static final long TIMEOUT = 500;
    static final String NTLM_OFFER = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\n"
            + "Content-Length: 5\r\n\r\nerror";

    final Proxy proxy = new Proxy(ProxyUrl.parse("http://proxy.corp.test:3128"), "corp", 3, 2);

    /** What the handshake told its listener. */
    static final class Recorder implements ConnectHandshake.Listener {
        Channel established;
        String note;
        AttemptFailure failure;
        CompletableFuture<String> reconnect;
        int calls;

        @Override
        public void established(Channel channel, String note) {
            established = channel;
            this.note = note;
            calls++;
        }

        @Override
        public void failed(AttemptFailure f) {
            failure = f;
            calls++;
        }

        @Override
        public void reconnect(CompletableFuture<String> header) {
            reconnect = header;
            calls++;
        }
    }

    /** Negotiate tokens handed out by the test, as the Kerberos executor would. */
    static final class Tokens implements ProxyCredentials.NegotiateTokens {
        final List<CompletableFuture<byte[]>> asked = new ArrayList<>();
        final List<String> spns = new ArrayList<>();

        @Override
        public CompletableFuture<byte[]> token(String spn, dev.sluice.upstream.auth.GssMechanism mechanism) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            asked.add(f);
            spns.add(spn);
            return f;
        }
    }

    final Tokens tokens = new Tokens();
    final Recorder recorder = new Recorder();

    ProxyCredentials credentials(AuthScheme... order) {
        BasicAuth basic = new BasicAuth("svc", Path.of("basic.pass"), new Secret("pw"));
        NtlmAuth ntlm = new NtlmAuth("svc-sluice", "CORP", Path.of("ntlm.pass"), new Secret("Passw0rd"), "GW1");
        NegotiateAuth negotiate = new NegotiateAuth("sluice-gw@CORP.TEST", Path.of("gw.keytab"), null, null,
                NegotiateAuth.Mechanism.SPNEGO);
        List<AuthScheme> schemes = List.of(order);
        return new ProxyCredentials(new AuthConfig(schemes.contains(AuthScheme.BASIC) ? basic : null,
                schemes.contains(AuthScheme.NTLM) ? ntlm : null,
                schemes.contains(AuthScheme.NEGOTIATE) ? negotiate : null, schemes), null, tokens);
    }

    EmbeddedChannel start(AuthSession session) {
        return start(session, recorder);
    }

    /** The handshake for {@code session} in a channel of its own, telling {@code r}; time frozen. */
    static EmbeddedChannel start(AuthSession session, Recorder r) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(ConnectHandshake.NAME, new ConnectHandshake(new ConnectRequest("proxy.golang.org", 443,
                null), session, TIMEOUT, session.first(), r));
        return ch;
    }

    static String written(EmbeddedChannel ch) {
        ByteBuf b = ch.readOutbound();
        if (b == null) {
            return null;
        }
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    static void answer(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
    }

    static String authorization(String request) {
        for (String line : request.split("\r\n")) {
            if (line.startsWith("Proxy-Authorization: ")) {
                return line.substring("Proxy-Authorization: ".length());
            }
        }
        return null;
    }

    /** The bytes the hold gives the relay once it is released. */
    static String heldBytes(EmbeddedChannel ch) {
        StringBuilder got = new StringBuilder();
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                got.append(((ByteBuf) msg).toString(StandardCharsets.ISO_8859_1));
                ((ByteBuf) msg).release();
            }
        });
        TunnelHold.release(ch);
        return got.toString();
    }

    @Test
    void withoutAuthOneWriteAndOneAnswerAndTheBytesAfterThe200AreKept() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        assertThat(written(ch)).isEqualTo(CONNECT + "\r\n");
        answer(ch, "HTTP/1.1 200 Connection established\r\n\r\n\u0016\u0003\u0003tunnel");
        assertThat(recorder.established).isSameAs(ch);
        assertThat(recorder.calls).isEqualTo(1);
        assertThat(ch.pipeline().get(ConnectHandshake.NAME)).as("the handshake left").isNull();
        assertThat(heldBytes(ch)).isEqualTo("\u0016\u0003\u0003tunnel");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void interimAnswersAreSkipped() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        written(ch);
        answer(ch, "HTTP/1.1 100 Continue\r\n\r\n");
        assertThat(recorder.calls).isZero();
        answer(ch, "HTTP/1.1 200 OK\r\n\r\n");
        assertThat(recorder.established).isSameAs(ch);
    }

    @Test
    void headersDrippedByteByByteStillMakeATunnel() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        written(ch);
        for (char c : "HTTP/1.1 200 Connection established\r\nVia: 1.1 squid\r\n\r\nX".toCharArray()) {
            answer(ch, String.valueOf(c));
        }
        assertThat(recorder.established).isSameAs(ch);
        assertThat(heldBytes(ch)).isEqualTo("X");
    }

    @Test
    void aTwoHundredWithABodyHasNoBody() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        written(ch);
        answer(ch, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde");
        assertThat(heldBytes(ch)).as("RFC 9110: tunnel bytes").isEqualTo("abcde");
        assertThat(recorder.note).isEqualTo("proxy's 200 claimed a body (5 bytes); as RFC 9110 says for CONNECT, "
                + "what follows its head went to the client as tunnel bytes");
    }

    @Test
    void basicAloneGoesWithTheFirstConnect() {
        EmbeddedChannel ch = start(new AuthSession(credentials(AuthScheme.BASIC), proxy));
        assertThat(written(ch)).isEqualTo(CONNECT + "Proxy-Authorization: Basic c3ZjOnB3\r\n\r\n");
        answer(ch, "HTTP/1.1 200 OK\r\n\r\n");
        assertThat(recorder.established).isSameAs(ch);
    }

    @Test
    void aRefusedBasicPasswordIsAnAuthFailureNotAProxyFault() {
        EmbeddedChannel ch = start(new AuthSession(credentials(AuthScheme.BASIC), proxy));
        written(ch);
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n");
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(recorder.failure.why()).isEqualTo("proxy rejected the basic credentials of svc (407 to them)");
        assertThat(recorder.failure.proxyFault()).isFalse();
        assertThat(recorder.failure.retry()).as("the next proxy is not tried with the same credentials").isFalse();
        assertThat(recorder.failure.scheme()).isEqualTo(AuthScheme.BASIC);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void ntlmTakesThreeLegsOnOneConnectionAndTheNextTunnelStartsWithItsFirstMessage() throws Exception {
        SaslServer server = ntlmServer("Passw0rd");
        ProxyCredentials creds = credentials(AuthScheme.NTLM);
        AuthSession session = new AuthSession(creds, proxy);
        EmbeddedChannel ch = start(session);
        assertThat(authorization(written(ch))).isNull();
        answer(ch, NTLM_OFFER);
        String type1 = authorization(written(ch));
        assertThat(type1).startsWith("NTLM ");
        byte[] type2 = server.evaluateResponse(Base64.getDecoder().decode(type1.substring(5)));
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM " + Base64.getEncoder().encodeToString(type2)
                + "\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n");
        String type3 = authorization(written(ch));
        server.evaluateResponse(Base64.getDecoder().decode(type3.substring(5)));
        assertThat(server.isComplete()).as("the JDK's NTLM server took our answer").isTrue();
        answer(ch, "HTTP/1.1 200 OK\r\n\r\n");
        assertThat(recorder.established).isSameAs(ch);
        assertThat(session.legs()).isEqualTo(3);
        assertThat(session.scheme()).isEqualTo(AuthScheme.NTLM);
        assertThat(new AuthSession(creds, proxy).first().join()).as("remembered: NTLM at once")
                .startsWith("NTLM TlRMTVNTUAAB");
        Proxy other = new Proxy(ProxyUrl.parse("http://proxy2.corp.test:3128"), "corp", 3, 2);
        assertThat(new AuthSession(creds, other).first().join()).as("per proxy").isNull();
    }

    @Test
    void aTwoHundredToTheFirstNtlmMessageEndsIt() {
        ProxyCredentials creds = credentials(AuthScheme.NTLM);
        AuthSession session = new AuthSession(creds, proxy);
        EmbeddedChannel ch = start(session);
        written(ch);
        answer(ch, NTLM_OFFER);
        written(ch);
        answer(ch, "HTTP/1.1 200 Connection established\r\n\r\n");
        assertThat(recorder.established).isSameAs(ch);
        assertThat(session.scheme()).isEqualTo(AuthScheme.NTLM);
    }

    @Test
    void a407ThatClosesIsAnsweredByOneReconnect() {
        for (String closing : List.of(
                "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.0 407 P\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM\r\n\r\nbody to the close")) {
            Recorder r = new Recorder();
            AuthSession session = new AuthSession(credentials(AuthScheme.NTLM), proxy);
            EmbeddedChannel ch = start(session, r);
            written(ch);
            answer(ch, closing);
            assertThat(r.reconnect).as(closing).isNotNull();
            assertThat(r.reconnect.join()).as("NTLM's first message, for the new connection").startsWith("NTLM ");
            assertThat(r.calls).isEqualTo(1);
            assertThat(ch.isOpen()).isFalse();
        }
    }

    @Test
    void aPlainFinAfterAKeepAlive407IsAClosingOneToo() {
        AuthSession session = new AuthSession(credentials(AuthScheme.BASIC, AuthScheme.NTLM), proxy);
        EmbeddedChannel ch = start(session);
        written(ch); // preemptive? no: two schemes configured and nothing known yet
        answer(ch, NTLM_OFFER);
        assertThat(authorization(written(ch))).startsWith("NTLM ");
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(recorder.reconnect).isNotNull();
        assertThat(recorder.reconnect.join()).startsWith("NTLM ");
    }

    @Test
    void aSecondClosing407Fails() {
        AuthSession session = new AuthSession(credentials(AuthScheme.NTLM), proxy);
        assertThat(session.mayReconnect()).isTrue(); // the one reconnect was used by an earlier connection
        EmbeddedChannel ch = start(session);
        written(ch);
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM\r\nConnection: close\r\n\r\n");
        assertThat(recorder.failure.why()).isEqualTo("proxy closed the connection after a 407 again");
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.PROXY);
        assertThat(recorder.failure.proxyFault()).isFalse();
    }

    @Test
    void aThird407AfterNtlmsLastMessageIsAnAuthFailure() throws Exception {
        SaslServer server = ntlmServer("other password");
        AuthSession session = new AuthSession(credentials(AuthScheme.NTLM), proxy);
        EmbeddedChannel ch = start(session);
        written(ch);
        answer(ch, NTLM_OFFER);
        byte[] type2 = server.evaluateResponse(Base64.getDecoder().decode(authorization(written(ch)).substring(5)));
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM " + Base64.getEncoder().encodeToString(type2)
                + "\r\nContent-Length: 0\r\n\r\n");
        assertThat(authorization(written(ch))).startsWith("NTLM ");
        answer(ch, NTLM_OFFER);
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(recorder.failure.why())
                .isEqualTo("proxy rejected the ntlm credentials of CORP\\svc-sluice (407 to our authenticate message)");
        assertThat(written(ch)).as("no fourth leg").isNull();
    }

    @Test
    void aSchemeTheProxyRefusedIsNeverSentAgainWhateverItOffersNext() {
        AuthSession session = new AuthSession(credentials(AuthScheme.NEGOTIATE, AuthScheme.BASIC), proxy);
        EmbeddedChannel ch = start(session);
        written(ch);
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n");
        assertThat(authorization(written(ch))).startsWith("Basic ");
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n");
        tokens.asked.get(0).complete(new byte[] {1, 2, 3});
        ch.runPendingTasks();
        assertThat(authorization(written(ch))).as("another scheme it offers instead").isEqualTo("Negotiate AQID");
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n");
        assertThat(written(ch)).as("Basic was refused already: no second try").isNull();
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(recorder.failure.why())
                .isEqualTo("proxy offers Basic; configured: negotiate, basic (tried here: negotiate, basic)");
        assertThat(session.legs()).isEqualTo(3);
    }

    @Test
    void neverMoreThanFourLegs() {
        AuthSession session = new AuthSession(credentials(AuthScheme.NTLM), proxy);
        for (int i = 0; i < AuthSession.MAX_LEGS; i++) {
            session.sent();
        }
        AuthSession.Step step = session.after407(Challenge.parse(List.of("NTLM")), true);
        assertThat(step).isEqualTo(new AuthSession.Fail(DialException.Kind.AUTH,
                "proxy still asks for authentication after 4 legs", AuthScheme.NTLM));
    }

    @Test
    void aNegotiateRefusedWhenTheReconnectIsSpentIsAnAuthFailure() {
        AuthSession session = new AuthSession(credentials(AuthScheme.NEGOTIATE, AuthScheme.NTLM), proxy);
        assertThat(session.mayReconnect()).isTrue(); // a closing 407 used it
        EmbeddedChannel ch = start(session);
        written(ch);
        String offer = "HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n"
                + "Content-Length: 0\r\n\r\n";
        answer(ch, offer);
        tokens.asked.get(0).complete(new byte[] {1});
        ch.runPendingTasks();
        written(ch);
        answer(ch, offer);
        assertThat(recorder.reconnect).isNull();
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(recorder.failure.why()).startsWith("proxy rejected the negotiate credentials of sluice-gw@CORP.TEST");
    }

    @Test
    void aRememberedSchemeThatBreaksIsForgotten() {
        ProxyCredentials creds = credentials(AuthScheme.NTLM);
        creds.remember(proxy, AuthScheme.NTLM);
        AuthSession session = new AuthSession(creds, proxy);
        EmbeddedChannel ch = start(session);
        assertThat(authorization(written(ch))).as("sent at once").startsWith("NTLM ");
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n");
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.PROXY);
        assertThat(new AuthSession(creds, proxy).first().join()).as("the next tunnel asks first").isNull();
    }

    @Test
    void onlyUnknownSchemesOrNoCredentialsAreAuthFailures() {
        EmbeddedChannel ch = start(new AuthSession(credentials(AuthScheme.BASIC), proxy));
        written(ch);
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: Digest realm=\"x\", nonce=\"y\"\r\n"
                + "Proxy-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n");
        assertThat(recorder.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(recorder.failure.why()).isEqualTo("proxy offers Digest, Bearer; configured: basic (tried here: "
                + "basic)");

        Recorder none = new Recorder();
        EmbeddedChannel ch2 = start(new AuthSession(null, proxy), none);
        written(ch2);
        answer(ch2, "HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n\r\n");
        assertThat(none.failure.why())
                .isEqualTo("proxy requires authentication (offers Negotiate, NTLM) and no auth is configured for it");
        assertThat(none.failure.scheme()).isNull();
    }

    @Test
    void headersPastTheBoundFailAtOnce() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        written(ch);
        answer(ch, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 64 && recorder.calls == 0; i++) {
            answer(ch, "X-Filler: " + "a".repeat(1000) + "\r\n");
        }
        assertThat(recorder.failure.why()).isEqualTo("bad answer to CONNECT: headers exceed 16384 bytes");
        assertThat(recorder.failure.proxyFault()).as("a malformed answer is the proxy's fault").isTrue();
    }

    @Test
    void ntlmChallengesThatAreNotBase64OrNotNtlmAreProxyErrors() {
        for (String[] row : new String[][] {
                {"NTLM a", "bad NTLM challenge: not base64"},
                {"NTLM " + Base64.getEncoder().encodeToString("not an NTLM message at all".getBytes()),
                    "bad NTLM challenge: "},
                {"NTLM", "proxy answered our NTLM negotiate message with a bare NTLM challenge"}}) {
            Recorder r = new Recorder();
            AuthSession session = new AuthSession(credentials(AuthScheme.NTLM), proxy);
            EmbeddedChannel ch = start(session, r);
            written(ch);
            answer(ch, NTLM_OFFER);
            written(ch);
            answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: " + row[0] + "\r\nContent-Length: 0\r\n\r\n");
            assertThat(r.failure).as(row[0]).isNotNull();
            assertThat(r.failure.why()).startsWith(row[1]);
            assertThat(r.failure.kind()).isEqualTo(DialException.Kind.PROXY);
        }
    }

    @Test
    void aNegotiateTokenIsSentWhenItIsReadyNotBefore() {
        ProxyCredentials creds = credentials(AuthScheme.NEGOTIATE);
        creds.remember(proxy, AuthScheme.NEGOTIATE); // the proxy asked for it before: preemptive, one leg
        EmbeddedChannel ch = start(new AuthSession(creds, proxy));
        assertThat(written(ch)).as("nothing before the token").isNull();
        assertThat(tokens.spns).containsExactly("HTTP@proxy.corp.test");
        tokens.asked.get(0).complete(new byte[] {(byte) 0x60, 1});
        ch.runPendingTasks();
        assertThat(written(ch)).isEqualTo(CONNECT + "Proxy-Authorization: Negotiate YAE=\r\n\r\n");
        answer(ch, "HTTP/1.1 200 OK\r\n\r\n");
        assertThat(recorder.established).isSameAs(ch);
    }

    @Test
    void aRejectedNegotiateFallsBackToNtlmOnANewConnection() {
        AuthSession session = new AuthSession(credentials(AuthScheme.NEGOTIATE, AuthScheme.NTLM), proxy);
        EmbeddedChannel ch = start(session);
        written(ch);
        String offer = "HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n"
                + "Content-Length: 0\r\n\r\n";
        answer(ch, offer);
        tokens.asked.get(0).complete(new byte[] {1});
        ch.runPendingTasks();
        assertThat(authorization(written(ch))).isEqualTo("Negotiate AQ==");
        answer(ch, offer); // a bare Negotiate again after our token
        assertThat(recorder.reconnect).isNotNull();
        assertThat(recorder.reconnect.join()).startsWith("NTLM TlRMTVNTUA");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aKerberosErrorFallsBackToNtlmOrFailsWithItsReason() {
        AuthSession session = new AuthSession(credentials(AuthScheme.NEGOTIATE, AuthScheme.NTLM), proxy);
        EmbeddedChannel ch = start(session);
        written(ch);
        answer(ch, "HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n"
                + "Content-Length: 0\r\n\r\n");
        tokens.asked.get(0).completeExceptionally(new AuthException("kerberos: no service ticket"));
        ch.runPendingTasks();
        assertThat(authorization(written(ch))).as("same connection: nothing was sent").startsWith("NTLM ");

        Recorder alone = new Recorder();
        AuthSession only = new AuthSession(credentials(AuthScheme.NEGOTIATE), proxy);
        EmbeddedChannel ch2 = start(only, alone);
        written(ch2);
        answer(ch2, "HTTP/1.1 407 P\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n");
        tokens.asked.get(1).completeExceptionally(new AuthException(
                "kerberos: no service ticket for HTTP@proxy.corp.test as sluice-gw@CORP.TEST: Server not found"));
        ch2.runPendingTasks();
        assertThat(alone.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(alone.failure.why()).isEqualTo(
                "kerberos: no service ticket for HTTP@proxy.corp.test as sluice-gw@CORP.TEST: Server not found");
        assertThat(alone.failure.scheme()).isEqualTo(AuthScheme.NEGOTIATE);
    }

    @Test
    void everyWaitIsBounded() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        written(ch);
        ch.advanceTimeBy(TIMEOUT, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(recorder.failure.why()).isEqualTo("no answer to CONNECT within 500 ms");
        assertThat(recorder.failure.proxyFault()).isTrue();

        Recorder slowKdc = new Recorder();
        ProxyCredentials creds = credentials(AuthScheme.NEGOTIATE);
        creds.remember(proxy, AuthScheme.NEGOTIATE);
        AuthSession s = new AuthSession(creds, proxy);
        EmbeddedChannel ch2 = start(s, slowKdc);
        ch2.advanceTimeBy(TIMEOUT, TimeUnit.MILLISECONDS);
        ch2.runScheduledPendingTasks();
        assertThat(slowKdc.failure.why()).isEqualTo(
                "kerberos: no Negotiate token within 500 ms (is the KDC slow or unreachable?)");
        assertThat(slowKdc.failure.kind()).isEqualTo(DialException.Kind.AUTH);
        assertThat(slowKdc.failure.proxyFault()).isFalse();
        assertThat(tokens.asked.get(0).isCancelled()).as("the token nobody waits for is not made").isTrue();
    }

    @Test
    void aTokenThatDoesNotComeFallsBackToNtlmOnTheSameConnection() {
        ProxyCredentials creds = credentials(AuthScheme.NEGOTIATE, AuthScheme.NTLM);
        creds.remember(proxy, AuthScheme.NEGOTIATE);
        AuthSession s = new AuthSession(creds, proxy);
        EmbeddedChannel ch = start(s);
        assertThat(written(ch)).isNull();
        ch.advanceTimeBy(TIMEOUT, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(authorization(written(ch))).startsWith("NTLM TlRMTVNTUAAB");
        assertThat(recorder.calls).isZero();
        tokens.asked.get(0).complete(new byte[] {1}); // too late: ignored
        ch.runPendingTasks();
        assertThat(written(ch)).isNull();
    }

    @Test
    void hangingUpIsTheProxysFaultAndBytesAfterA407AreNotHttp() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        written(ch);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertThat(recorder.failure.why()).isEqualTo("proxy closed the connection without answering CONNECT");
        assertThat(recorder.failure.proxyFault()).isTrue();

        Recorder r = new Recorder();
        AuthSession s = new AuthSession(credentials(AuthScheme.NTLM), proxy);
        EmbeddedChannel ch2 = start(s, r);
        written(ch2);
        answer(ch2, NTLM_OFFER + "junk");
        assertThat(r.failure.why()).isEqualTo("proxy sent 4 bytes after its 407");
    }

    @Test
    void errorStatusesAreTypedAndOnlyTheProxysOwnFaultsCountAgainstIt() {
        Object[][] rows = {
            {"HTTP/1.1 403 Forbidden\r\n\r\n", DialException.Kind.DENIED, false, false},
            {"HTTP/1.1 503 Service Unavailable\r\n\r\n", DialException.Kind.PROXY, false, true},
            {"HTTP/1.1 500 Internal Server Error\r\n\r\n", DialException.Kind.PROXY, false, true},
            {"HTTP/1.1 404 Not Found\r\n\r\n", DialException.Kind.PROXY, false, true},
            {"\u0000\u0001garbage\r\n\r\n", DialException.Kind.PROXY, true, true}};
        for (Object[] row : rows) {
            Recorder r = new Recorder();
            EmbeddedChannel ch = start(new AuthSession(null, proxy), r);
            written(ch);
            answer(ch, (String) row[0]);
            assertThat(r.failure.kind()).as((String) row[0]).isEqualTo(row[1]);
            assertThat(r.failure.proxyFault()).as("proxy fault: " + row[0]).isEqualTo(row[2]);
            assertThat(r.failure.retry()).as("next proxy: " + row[0]).isEqualTo(row[3]);
        }
    }

    @Test
    void aFailedTlsHandshakeIsATlsFailure() {
        EmbeddedChannel ch = start(new AuthSession(null, proxy));
        ch.pipeline().fireUserEventTriggered(new SslHandshakeCompletionEvent(
                new SSLHandshakeException("unable to find valid certification path")));
        assertThat(recorder.failure.why())
                .isEqualTo("TLS with the proxy failed: unable to find valid certification path");
        assertThat(recorder.calls).isEqualTo(1);
    }

    /** The JDK's own NTLM server (SASL), for real challenges and a check of our answers. */
    static SaslServer ntlmServer(String password) throws Exception {
        return Sasl.createSaslServer("NTLM", "HTTP", "proxy", Map.of("com.sun.security.sasl.ntlm.domain", "CORP"),
                callbacks -> {
                    for (var cb : callbacks) {
                        if (cb instanceof PasswordCallback p) {
                            p.setPassword(password.toCharArray());
                        }
                    }
                });
    }
}
