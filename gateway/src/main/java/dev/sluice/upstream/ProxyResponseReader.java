package dev.sluice.upstream;

import dev.sluice.config.Printable;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the head of a proxy's answer to CONNECT from a buffer that grows as bytes arrive, consuming complete lines
 * only, so whatever follows the head (tunnel bytes after a 200, a body after a 407) stays in the buffer. Interim
 * {@code 1xx} heads are skipped. Bounded: {@value #MAX_HEAD} bytes of status line and headers, plus
 * {@value #MAX_AUTH} bytes of {@code Proxy-Authenticate} lines (a Kerberos token of 64 KiB, in base64); a line that
 * would pass a bound fails at once, before its end arrives. Each byte is scanned for the line end once, however
 * the line is dripped. One reader per answer; {@link #reset} for the next.
 */
final class ProxyResponseReader {
    static final int MAX_HEAD = 16 * 1024;
    /** Room for a Kerberos token of 64 KiB (users in many groups), in base64. */
    static final int MAX_AUTH = 96 * 1024;
    private static final int MAX_INTERIM = 8;
    private static final byte[] AUTH_PREFIX = "proxy-authenticate:".getBytes(StandardCharsets.US_ASCII);

    private int headBytes;
    private int authBytes;
    private int scanned; // bytes after the reader index known to hold no line end
    private int interim;
    private int status = -1;
    private String reason;
    private boolean http11;
    private List<String> authenticate;
    private long contentLength;
    private boolean chunked;
    private boolean close;
    private boolean keepAlive;

    ProxyResponseReader() {
        reset();
    }

    /** Ready for the next answer on the same connection. */
    void reset() {
        scanned = 0;
        headBytes = 0;
        authBytes = 0;
        interim = 0;
        clearHead();
    }

    private void clearHead() {
        status = -1;
        reason = null;
        authenticate = null;
        contentLength = -1;
        chunked = false;
        close = false;
        keepAlive = false;
    }

    /** Nothing of an answer consumed yet. */
    boolean idle() {
        return status < 0 && headBytes == 0 && interim == 0;
    }

    /** The final answer once its head is complete (consumed from {@code in}); null while more bytes are needed. */
    ProxyResponse read(ByteBuf in) throws BadAnswer {
        while (true) {
            int start = in.readerIndex();
            int lf = in.indexOf(start + scanned, in.writerIndex(), (byte) '\n');
            if (lf < 0) {
                scanned = in.readableBytes();
                checkBound(in, start, in.readableBytes(), false);
                return null;
            }
            scanned = 0;
            int length = lf - start;
            boolean auth = checkBound(in, start, length + 1, true);
            int textLength = length > 0 && in.getByte(lf - 1) == '\r' ? length - 1 : length;
            String line = in.toString(start, textLength, StandardCharsets.ISO_8859_1);
            in.readerIndex(lf + 1);
            if (status < 0) {
                statusLine(line);
            } else if (!line.isEmpty()) {
                header(line, auth);
            } else if (status < 200) {
                if (++interim > MAX_INTERIM) {
                    throw new BadAnswer("bad answer to CONNECT: more than " + MAX_INTERIM + " interim (1xx) answers");
                }
                clearHead(); // an interim answer (100 Continue...): the final one follows
            } else {
                return new ProxyResponse(status, reason, authenticate == null ? List.of() : List.copyOf(authenticate),
                        http11 ? !close : keepAlive && !close, chunked ? -1 : contentLength, chunked);
            }
        }
    }

    /** Counts a line (or the start of one) against its bound; true when it is a Proxy-Authenticate line. */
    private boolean checkBound(ByteBuf in, int start, int length, boolean complete) throws BadAnswer {
        boolean auth = status >= 0 && isAuthLine(in, start, length);
        if (auth) {
            if (authBytes + length > MAX_AUTH) {
                throw new BadAnswer("bad answer to CONNECT: Proxy-Authenticate headers exceed " + MAX_AUTH + " bytes");
            }
            if (complete) {
                authBytes += length;
            }
        } else {
            if (headBytes + length > MAX_HEAD) {
                throw new BadAnswer("bad answer to CONNECT: headers exceed " + MAX_HEAD + " bytes");
            }
            if (complete) {
                headBytes += length;
            }
        }
        return auth;
    }

    private static boolean isAuthLine(ByteBuf in, int start, int length) {
        if (length < AUTH_PREFIX.length) {
            return false; // not known yet; counted as an ordinary line until it is
        }
        for (int i = 0; i < AUTH_PREFIX.length; i++) {
            int b = in.getByte(start + i);
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != AUTH_PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    private void statusLine(String line) throws BadAnswer {
        // HTTP/1.x SSS reason
        if (line.length() < 12 || !line.startsWith("HTTP/1.") || line.charAt(8) != ' '
                || !Character.isDigit(line.charAt(7)) || (line.length() > 12 && line.charAt(12) != ' ')) {
            throw new BadAnswer("bad answer to CONNECT: not an HTTP response: \"" + shown(line) + "\"");
        }
        int code = 0;
        for (int i = 9; i < 12; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                throw new BadAnswer("bad answer to CONNECT: bad status line: \"" + shown(line) + "\"");
            }
            code = code * 10 + (c - '0');
        }
        if (code < 100) {
            throw new BadAnswer("bad answer to CONNECT: bad status " + code);
        }
        status = code;
        http11 = line.charAt(7) != '0';
        reason = line.length() > 13 ? shown(line.substring(13)) : "";
    }

    private void header(String line, boolean auth) throws BadAnswer {
        int colon = line.indexOf(':');
        if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
            // obs-fold and lines without a name: RFC 9112 lets a client reject them
            throw new BadAnswer("bad answer to CONNECT: bad header line \"" + shown(line) + "\"");
        }
        String value = line.substring(colon + 1).trim();
        if (auth) {
            if (authenticate == null) {
                authenticate = new ArrayList<>(2);
            }
            authenticate.add(value);
            return;
        }
        String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
        switch (name) {
            case "content-length" -> {
                try {
                    long n = Long.parseLong(value);
                    if (n < 0 || (contentLength >= 0 && contentLength != n)) {
                        throw new NumberFormatException();
                    }
                    contentLength = n;
                } catch (NumberFormatException e) {
                    throw new BadAnswer("bad answer to CONNECT: bad Content-Length \"" + shown(value) + "\"");
                }
            }
            case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
            case "connection", "proxy-connection" -> {
                for (String token : value.toLowerCase(Locale.ROOT).split(",")) {
                    close |= token.trim().equals("close");
                    keepAlive |= token.trim().equals("keep-alive");
                }
            }
            default -> { }
        }
    }

    private static String shown(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return Printable.of(b, 0, b.length, 64);
    }
}
