package dev.sluice.upstream;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.proxy.HttpProxyHandler.HttpProxyConnectException;
import io.netty.handler.proxy.ProxyConnectException;

/** Short, log-friendly reasons for dial failures. */
final class Errors {
    private Errors() {
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
        int addr = m.indexOf(": /");
        if (addr > 0) {
            m = m.substring(0, addr);
        }
        int cut = m.indexOf("): "); // "finishConnect(..) failed with error(-111): Connection refused"
        return cut > 0 && m.contains("failed with error(") ? m.substring(cut + 3) : m;
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

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** A failure after the proxy accepted the connection: its status line, its silence, or its garbage. */
    static String describeProxy(Throwable t, long timeoutMillis) {
        if (!(t instanceof ProxyConnectException)) {
            return describe(t);
        }
        String m = t.getMessage() == null ? "" : t.getMessage();
        int arrow = m.indexOf(" => ");
        int comma = arrow < 0 ? -1 : m.indexOf(", ", arrow);
        String what = comma < 0 ? m : m.substring(comma + 2);
        if (t instanceof HttpProxyConnectException && what.startsWith("status: ")) {
            String status = what.substring("status: ".length());
            // Netty's decoder reports a response it could not parse as "999 Unknown"
            return status.startsWith("999 ") ? "bad answer to CONNECT: not an HTTP response" : status;
        }
        if (what.equals("timeout")) {
            return "no answer to CONNECT within " + timeoutMillis + " ms";
        }
        if (what.equals("disconnected")) {
            return "proxy closed the connection without answering CONNECT";
        }
        if (t.getCause() != null) {
            return "bad answer to CONNECT: " + describe(t.getCause());
        }
        return what;
    }
}
