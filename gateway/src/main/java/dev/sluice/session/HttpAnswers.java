package dev.sluice.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * The gateway's own answers to a plain HTTP client, as bytes: a short text/plain response that says why, after
 * which the connection is closed. The reason is text the caller made printable (attacker-controlled parts
 * escaped); the status line and fields are fixed.
 */
final class HttpAnswers {
    private HttpAnswers() {
    }

    static ByteBuf refusal(ByteBufAllocator alloc, int status, String reason) {
        HttpResponseStatus s = HttpResponseStatus.valueOf(status);
        byte[] body = ("Sluice: " + s.code() + " " + s.reasonPhrase() + ": " + reason + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        String head = "HTTP/1.1 " + s.code() + " " + s.reasonPhrase() + "\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + "Connection: close\r\n\r\n";
        return alloc.buffer(head.length() + body.length).writeBytes(head.getBytes(StandardCharsets.US_ASCII))
                .writeBytes(body);
    }

    /** 504 when the reason is a wait that ran out, else 502: what a gateway answers when its upstream failed. */
    static int forUpstreamFailure(String why) {
        return why != null && (why.contains("within") || why.contains("timed out")) ? 504 : 502;
    }
}
