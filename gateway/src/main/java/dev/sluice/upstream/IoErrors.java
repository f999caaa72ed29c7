package dev.sluice.upstream;

import dev.sluice.net.NativeErrors;
import io.netty.channel.ConnectTimeoutException;

/**
 * Short words for what the operating system or TLS said when a connection failed: "Connection refused", "connect
 * timeout", a TLS failure and its root cause, the gateway out of file descriptors. A proxy's answer is never read
 * from an exception: the handshake has it as a typed {@link ProxyResponse}.
 */
final class IoErrors {
    private IoErrors() {
    }

    static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** A TCP-level failure: "Connection refused", "connect timeout", "No route to host"... */
    static String describe(Throwable t) {
        if (t instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        if (m.length() > MAX_MESSAGE) {
            m = m.substring(0, MAX_MESSAGE) + "...";
        }
        int addr = m.indexOf(": /");
        if (addr > 0) {
            m = m.substring(0, addr);
        }
        return NativeErrors.strip(m); // "finishConnect(..) failed with error(-111): Connection refused"
    }

    /** The reason when the TLS session with an https:// proxy failed; null for any other failure. */
    static String tlsFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
                return "TLS handshake with the proxy timed out";
            }
            if (c instanceof javax.net.ssl.SSLException) {
                // the root cause says why ("unable to find valid certification path", "No subject alternative
                // names matching IP address ..."); the SSLException above it may only say "General ... problem"
                Throwable root = c;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                String m = message(root);
                return "TLS with the proxy failed: " + (root == c ? m : message(c) + ": " + m);
            }
        }
        return null;
    }

    /** At most {@value #MAX_MESSAGE} characters of it: Netty puts a hex dump of a whole read in some messages. */
    private static String message(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m;
    }

    private static final int MAX_MESSAGE = 200;

    /**
     * The gateway's own limit, when {@code t} says it could not even make a socket (EMFILE, ENFILE): "too many
     * open files (the gateway's own limit)"; null for any other failure.
     */
    static String localFailure(Throwable t) {
        boolean noChannel = false;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("Too many open files")) {
                return "too many open files (the gateway's own limit: raise LimitNOFILE or lower limits.max_connections)";
            }
            noChannel |= m.startsWith("Unable to create Channel");
        }
        return noChannel ? "the gateway cannot make a socket: " + describe(rootOf(t)) : null;
    }

    private static Throwable rootOf(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r;
    }
}
