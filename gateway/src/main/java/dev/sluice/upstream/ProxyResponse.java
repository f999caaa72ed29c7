package dev.sluice.upstream;

import java.util.List;

/**
 * A proxy's final answer to one CONNECT, as far as the handshake needs it: the status, every
 * {@code Proxy-Authenticate} value, whether the connection stays open after it, and how its body is delimited.
 * {@code contentLength} is -1 when there is none; a body neither counted nor chunked runs to the close.
 */
record ProxyResponse(int status, String reason, List<String> authenticate, boolean keepAlive, long contentLength,
                     boolean chunked) {

    boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    /** "407 Proxy Authentication Required". */
    String statusLine() {
        return reason.isEmpty() ? Integer.toString(status) : status + " " + reason;
    }

    /** Whether the body's end is known without a close (so the connection can carry the next leg). */
    boolean bodyDelimited() {
        return chunked || contentLength >= 0;
    }
}
