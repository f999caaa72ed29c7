package dev.sluice.upstream;

import io.netty.buffer.ByteBuf;

/**
 * Skips the body of a proxy's {@code 407} (counted by Content-Length, or chunked) so that the next leg can go on
 * the same connection. Bounded: a body over {@value #MAX_BODY} bytes is not worth reading; the connection is then
 * given up instead. Consumes only the body's bytes from the buffer.
 */
final class BodyDrain {
    static final long MAX_BODY = 1024 * 1024;
    private static final int MAX_CHUNK_LINE = 1024;

    private long remaining; // of the current chunk's data (or of the whole counted body)
    private final boolean chunked;
    private int state; // chunked: 0 size line, 1 data, 2 CRLF after data, 3 trailers; -1 done
    private long total;

    BodyDrain(ProxyResponse r) {
        this.chunked = r.chunked();
        this.remaining = chunked ? 0 : Math.max(0, r.contentLength());
        this.state = !chunked && remaining == 0 ? -1 : 0;
    }

    boolean done() {
        return state < 0;
    }

    /** Consumes what it can of the body; true once it has all of it. */
    boolean skip(ByteBuf in) throws BadAnswer {
        if (!chunked) {
            if (remaining > MAX_BODY) {
                throw new BadAnswer("407 body of " + remaining + " bytes is over " + MAX_BODY);
            }
            int n = (int) Math.min(remaining, in.readableBytes());
            in.skipBytes(n);
            remaining -= n;
            if (remaining == 0) {
                state = -1;
            }
            return done();
        }
        while (state >= 0) {
            if (state == 1) {
                int n = (int) Math.min(remaining, in.readableBytes());
                in.skipBytes(n);
                remaining -= n;
                if (remaining > 0) {
                    return false;
                }
                state = 2;
                continue;
            }
            String line = line(in);
            if (line == null) {
                return false;
            }
            switch (state) {
                case 0 -> {
                    remaining = chunkSize(line);
                    total += remaining;
                    if (total > MAX_BODY) {
                        throw new BadAnswer("407 body is over " + MAX_BODY + " bytes");
                    }
                    state = remaining == 0 ? 3 : 1;
                }
                case 2 -> {
                    if (!line.isEmpty()) {
                        throw new BadAnswer("bad chunked 407 body: no line end after a chunk");
                    }
                    state = 0;
                }
                default -> { // trailers, until the empty line
                    if (line.isEmpty()) {
                        state = -1;
                    }
                }
            }
        }
        return true;
    }

    /** One line without its CRLF, consumed; null while incomplete. */
    private static String line(ByteBuf in) throws BadAnswer {
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > MAX_CHUNK_LINE) {
                throw new BadAnswer("bad chunked 407 body: line over " + MAX_CHUNK_LINE + " bytes");
            }
            return null;
        }
        int length = lf - in.readerIndex();
        if (length > MAX_CHUNK_LINE) {
            throw new BadAnswer("bad chunked 407 body: line over " + MAX_CHUNK_LINE + " bytes");
        }
        int text = length > 0 && in.getByte(lf - 1) == '\r' ? length - 1 : length;
        String s = in.toString(in.readerIndex(), text, java.nio.charset.StandardCharsets.ISO_8859_1);
        in.readerIndex(lf + 1);
        return s;
    }

    private static long chunkSize(String line) throws BadAnswer {
        int semi = line.indexOf(';');
        String hex = (semi >= 0 ? line.substring(0, semi) : line).trim();
        try {
            if (hex.isEmpty() || hex.length() > 8) {
                throw new NumberFormatException();
            }
            return Long.parseLong(hex, 16);
        } catch (NumberFormatException e) {
            byte[] b = hex.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            throw new BadAnswer("bad chunked 407 body: chunk size \"" + dev.sluice.config.Printable.of(b, 0, b.length, 32)
                    + "\"");
        }
    }
}
