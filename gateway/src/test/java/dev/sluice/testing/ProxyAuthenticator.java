package dev.sluice.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

/**
 * The proxy's side of an authentication, for {@link FakeProxy}: one conversation per connection, a request head
 * in, a 407 (its challenge headers, and whether the connection closes after it) or "go on" out. NTLM is checked by
 * the JDK's own NTLM server (SASL), an implementation independent of Sluice's.
 */
public interface ProxyAuthenticator {
    /** A 407's challenge header lines (CRLF-separated, none at the end), and whether to close after it. */
    record Challenge(String headers, boolean close) {
    }

    /** The state of one connection. */
    interface Conversation {
        /** null when the request is authenticated; else the 407 to send. */
        Challenge on(String requestHead) throws Exception;
    }

    Conversation open();

    /** The Proxy-Authorization value of a request head ("NTLM TlRM..."), or null. */
    static String authorization(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("proxy-authorization:")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return null;
    }

    /**
     * NTLM for {@code DOMAIN\\user} with {@code password}: a bare NTLM challenge, the server's challenge to a
     * negotiate message, the end of the exchange at the authenticate message (a 407 again when it is refused).
     * {@code closeFirst}: the first 407 (to a request without credentials) closes the connection, as Squid's
     * {@code auth_param ntlm keep_alive off}.
     */
    static ProxyAuthenticator ntlm(String domain, String user, String password, boolean closeFirst) {
        return () -> new Conversation() {
            private SaslServer server;

            @Override
            public Challenge on(String head) throws SaslException {
                String value = authorization(head);
                if (value == null || !value.regionMatches(true, 0, "NTLM ", 0, 5)) {
                    return new Challenge("Proxy-Authenticate: NTLM", closeFirst);
                }
                byte[] message = Base64.getDecoder().decode(value.substring(5).trim());
                if (server == null || message.length > 8 && message[8] == 1) {
                    server = Sasl.createSaslServer("NTLM", "HTTP", "proxy",
                            Map.of("com.sun.security.sasl.ntlm.domain", domain,
                                    "com.sun.security.sasl.ntlm.version", "NTLMv2"), callbacks -> {
                                String name = null;
                                for (var cb : callbacks) {
                                    if (cb instanceof NameCallback n) {
                                        name = n.getDefaultName();
                                    } else if (cb instanceof PasswordCallback p) {
                                        p.setPassword(user.equalsIgnoreCase(name) ? password.toCharArray()
                                                : "not this user".toCharArray());
                                    }
                                }
                            });
                    byte[] challenge = server.evaluateResponse(message);
                    return new Challenge("Proxy-Authenticate: NTLM " + Base64.getEncoder().encodeToString(challenge),
                            false);
                }
                try {
                    server.evaluateResponse(message);
                    return server.isComplete() ? null : new Challenge("Proxy-Authenticate: NTLM", false);
                } catch (SaslException e) {
                    server = null;
                    return new Challenge("Proxy-Authenticate: NTLM", false);
                }
            }
        };
    }

    /**
     * Offers {@code schemes} ("Negotiate", "NTLM", "Basic realm=\"corp\"") and hands the conversation to
     * {@code inner} from the first request that answers one of them.
     */
    static ProxyAuthenticator offering(String challenges, Supplier<Conversation> inner) {
        return () -> {
            Conversation c = inner.get();
            return head -> {
                if (authorization(head) == null) {
                    return new Challenge(challenges, false);
                }
                return c.on(head);
            };
        };
    }

    /** The body of every 407 (Squid sends an HTML page; the handshake must drain it). */
    byte[] BODY = "<html><body>Proxy authentication required</body></html>\n".getBytes(StandardCharsets.US_ASCII);
}
