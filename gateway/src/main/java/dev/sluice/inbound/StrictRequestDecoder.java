package dev.sluice.inbound;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder, as strict as RFC 9112 lets a proxy be, so that nothing reaches the corporate proxy that
 * it could frame differently from us: lines end in CRLF only (a bare CR or LF is an error), header names and values
 * are validated, two {@code Content-Length} fields are an error even when equal, {@code Transfer-Encoding} must end
 * in {@code chunked} and is an error in HTTP/1.0, and a request with both {@code Transfer-Encoding} and
 * {@code Content-Length} is refused (RFC 9112, 6.1 allows forwarding it without the length; refusing it is the
 * safer choice and what smuggling tests expect). The request line may be 8 KiB, the header section
 * {@value #MAX_HEADERS} bytes. A failure is the request's {@code decoderResult()}, never an exception.
 * An obsolete line folding is joined with a space, which RFC 9112, 5.2 allows; what goes on is the joined value.
 */
public final class StrictRequestDecoder extends HttpRequestDecoder {
    public static final int MAX_LINE = 8 * 1024;
    public static final int MAX_HEADERS = 16 * 1024;
    /** Body pieces are passed on as they come, at most this large. */
    static final int MAX_CHUNK = 64 * 1024;

    public StrictRequestDecoder() {
        super(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEADERS)
                .setMaxChunkSize(MAX_CHUNK).setStrictLineParsing(true).setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false).setValidateHeaders(true).setChunkedSupported(true));
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("both Transfer-Encoding and Content-Length (RFC 9112, 6.3: a request "
                + "a proxy could frame either way)");
    }
}
