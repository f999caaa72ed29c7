package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An HTTP proxy for plain-HTTP tests that records exactly what it receives: each request's head as bytes and its
 * body's length and SHA-256 (read by Content-Length or chunked, as a strict proxy would). It answers with what
 * {@code responder} makes of the request (by default 200 with a small body naming the request line) and keeps the
 * connection alive unless the answer says {@code Connection: close}.
 */
public final class HttpProxyFake extends TestServer {
    /** One request as received: its raw head (request line and fields) and its body. */
    public record Received(int connection, String head, long bodyBytes, String bodySha256) {
        public String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        /** The value of the first field named {@code name}, or null. */
        public String field(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** The raw bytes of an answer; {@code close}: close the connection after it. */
    public record Answer(byte[] bytes, boolean close) {
        public static Answer of(String text) {
            return new Answer(text.getBytes(StandardCharsets.ISO_8859_1), text.toLowerCase(Locale.ROOT)
                    .contains("\r\nconnection: close\r\n"));
        }
    }

    /** The body SHA-256 of a request whose body never ended (the connection closed, or it was malformed). */
    public static final String CUT = "cut";

    public final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Function<Received, Answer> responder = r -> {
        String body = "proxied " + r.requestLine() + " body " + r.bodyBytes() + " " + r.bodySha256() + "\n";
        return Answer.of("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body);
    };

    public HttpProxyFake() throws IOException {
        super(plain());
    }

    public HttpProxyFake respond(Function<Received, Answer> f) {
        this.responder = f;
        return this;
    }

    @Override
    protected void serve(Socket s) throws Exception {
        int connection = connections.incrementAndGet();
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            long[] length = {0};
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String te = field(head, "transfer-encoding");
            String cl = field(head, "content-length");
            try {
                if (te != null && te.equalsIgnoreCase("chunked")) {
                    readChunked(in, sha, length);
                } else if (cl != null) {
                    copy(in, Long.parseLong(cl), sha, length);
                }
            } catch (IOException | NumberFormatException e) {
                received.add(new Received(connection, head, length[0], CUT));
                return; // an unfinished request: dropped, as a proxy drops it
            }
            Received r = new Received(connection, head, length[0], HexFormat.of().formatHex(sha.digest()));
            received.add(r);
            Answer a = responder.apply(r);
            out.write(a.bytes());
            out.flush();
            if (a.close()) {
                return;
            }
        }
    }

    private static String field(String head, String name) {
        return new Received(0, head, 0, "").field(name);
    }

    /** The head up to and without its empty line, CRLF-separated; null at a clean end of input. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new IOException("end of input inside a request head: " + b);
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
                    ? state + 1 : c == '\r' ? 1 : 0;
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.substring(0, s.length() - 2);
    }

    private static void readChunked(InputStream in, MessageDigest sha, long[] length) throws IOException {
        while (true) {
            String line = readLine(in);
            int semi = line.indexOf(';');
            long size = Long.parseLong((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return;
            }
            copy(in, size, sha, length);
            if (!readLine(in).isEmpty()) {
                throw new IOException("no CRLF after a chunk");
            }
        }
    }

    /** One CRLF- (or LF-) ended line, without its end. */
    public static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("end of input in a chunked body");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    private static void copy(InputStream in, long n, MessageDigest sha, long[] length) throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("end of input inside a body");
            }
            sha.update(buf, 0, r);
            length[0] += r;
            n -= r;
        }
    }
}
