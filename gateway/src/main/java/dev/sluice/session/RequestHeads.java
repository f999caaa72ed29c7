package dev.sluice.session;

import dev.sluice.inbound.RequestTarget;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;
import java.util.Locale;

/**
 * What a plain HTTP request head decoded by {@link dev.sluice.inbound.StrictRequestDecoder} must be to be
 * forwarded, and the head that goes to the proxy. Pure: the fuzz test drives both with arbitrary bytes.
 */
public final class RequestHeads {
    private RequestHeads() {
    }

    /**
     * Why {@code req} cannot be forwarded, with the status to answer, or null: the decoder's verdict (414 for a
     * long request line, 431 for long fields, else 400), a version other than HTTP/1.0 and 1.1 (505), a WebSocket
     * upgrade (501: not carried), a transfer coding other than exactly {@code chunked} (501), an expectation
     * other than {@code 100-continue} (417).
     */
    public static RequestTarget.Refusal check(HttpRequest req) {
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            int status = cause instanceof TooLongHttpLineException ? 414
                    : cause instanceof TooLongFrameException ? 431 : 400;
            return new RequestTarget.Refusal(status, "malformed request: "
                    + RequestTarget.shown(String.valueOf(cause.getMessage())));
        }
        HttpVersion v = req.protocolVersion();
        if (v.majorVersion() != 1 || v.minorVersion() > 1) {
            return new RequestTarget.Refusal(505, "HTTP version " + RequestTarget.shown(v.text()) + " is not served");
        }
        String upgrade = req.headers().get(HttpHeaderNames.UPGRADE);
        if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            return new RequestTarget.Refusal(501, "WebSocket upgrades are not carried: the gateway forwards plain "
                    + "HTTP requests through the proxy one by one");
        }
        List<String> codings = req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty() && !(codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"))) {
            return new RequestTarget.Refusal(501, "Transfer-Encoding: " + RequestTarget.shown(String.join(", ",
                    codings)) + " is not forwarded (only chunked is)");
        }
        String expect = req.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.equalsIgnoreCase("100-continue")) {
            return new RequestTarget.Refusal(417, "Expect: " + RequestTarget.shown(expect) + " is not understood");
        }
        return null;
    }

    /** Where {@code req} (checked) goes: {@link RequestTarget#of} with its method, target and Host fields. */
    public static RequestTarget target(HttpRequest req, java.net.InetAddress dst, int port)
            throws RequestTarget.Refusal {
        return RequestTarget.of(req.method().name(), req.uri(), req.headers().getAll(HttpHeaderNames.HOST),
                req.protocolVersion().minorVersion() == 0, dst, port);
    }

    /**
     * The head for the proxy: HTTP/1.1, the target in absolute form, {@code Host} set to its authority, the
     * hop-by-hop fields dropped ({@link HopByHop}) and the framing as the decoder read it (a chunked body stays
     * chunked, a length stays).
     */
    public static HttpRequest absoluteForm(HttpRequest req, RequestTarget target) {
        HttpRequest out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(), target.absolute(),
                req.headers().copy());
        HopByHop.strip(out.headers());
        out.headers().set("Host", target.authority());
        if (HttpUtil.isTransferEncodingChunked(req)) {
            out.headers().set("Transfer-Encoding", "chunked");
        }
        return out;
    }
}
