package dev.sluice.session;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The head of a proxy's answer as the client gets it, and what the answer means for both connections. Pure.
 *
 * @param head the head for the client: its version, the hop-by-hop fields dropped, {@code Connection: close} when
 *             the client's connection ends after it
 * @param informational a 1xx: its end is not the answer's
 * @param closeClient the client's connection ends after this answer (the client asked, or the answer is delimited
 *                    by the close, which an HTTP/1.0 client also gets for a chunked one)
 * @param keepProxy the proxy's connection can carry the next request
 */
record AnswerHeads(HttpResponse head, boolean informational, boolean closeClient, boolean keepProxy) {

    /**
     * {@code r}, the proxy's answer to a request that was {@code head} (HEAD) from a client that speaks
     * {@code http10} and asked to keep its connection ({@code clientKeepAlive}).
     */
    static AnswerHeads of(HttpResponse r, boolean http10, boolean head, boolean clientKeepAlive) {
        int code = r.status().code();
        HttpResponse out = new DefaultHttpResponse(http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1, r.status(),
                r.headers().copy());
        HopByHop.strip(out.headers());
        if (code < 200) {
            return new AnswerHeads(out, true, false, true);
        }
        boolean empty = head || code == 204 || code == 304;
        boolean chunked = HttpUtil.isTransferEncodingChunked(r);
        boolean delimited = empty || chunked || HttpUtil.isContentLengthSet(r);
        boolean keepProxy = delimited && HttpUtil.isKeepAlive(r);
        if (http10 && chunked && !empty) {
            out.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // HTTP/1.0 knows no chunks: ended by the close
            delimited = false;
        }
        boolean closeClient = !clientKeepAlive || !delimited;
        if (closeClient) {
            out.headers().set("Connection", "close");
        }
        return new AnswerHeads(out, false, closeClient, keepProxy);
    }
}
