package dev.sluice.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** Client-side helpers: a real JDK TLS client with SNI, deterministic payloads and their hashes. */
public final class Clients {
    private Clients() {
    }

    /** TLS through {@code port} (the gateway or a CONNECTed socket) with SNI {@code name}, host name verified. */
    public static SSLSocket tls(Socket tcp, String name) throws Exception {
        SSLSocket s = (SSLSocket) Pki.client().getSocketFactory().createSocket(tcp, name, 443, true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(name)));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /**
     * One TLS tunnel through the gateway on {@code port} to the origin named {@code sni}: {@code n} bytes up (the
     * origin's "UP n"), true when the origin's SHA-256 of them matches what was sent; false when the tunnel could
     * not be made or broke.
     */
    public static boolean upAndChecked(int port, String sni, long n, long seed) {
        try (SSLSocket tls = tls(tcp(port), sni)) {
            tls.getOutputStream().write(("UP " + n + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String sent = send(tls.getOutputStream(), n, seed);
            return readLine(tls.getInputStream()).equals(sent);
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * One short TLS exchange through the gateway on {@code port} to the origin named {@code sni}: 1000 bytes down
     * (the origin's "DOWN 1000 5"), which must arrive whole. Returns the client's local port, the access-log line's
     * "client". A refusal is the TLS client's exception.
     */
    public static int downAndChecked(int port, String sni) throws Exception {
        Socket tcp = tcp(port);
        try (SSLSocket tls = tls(tcp, sni)) {
            tls.getOutputStream().write("DOWN 1000 5\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            org.assertj.core.api.Assertions.assertThat(receive(tls.getInputStream(), 1000))
                    .isEqualTo(send(OutputStream.nullOutputStream(), 1000, 5));
            return tcp.getLocalPort();
        }
    }

    public static Socket tcp(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setTcpNoDelay(true);
        s.setSoTimeout(20_000);
        return s;
    }

    /** Writes {@code n} pseudo-random bytes from {@code seed}; returns their SHA-256. */
    public static String send(OutputStream out, long n, long seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[64 * 1024];
        long left = n;
        while (left > 0) {
            int k = (int) Math.min(buf.length, left);
            fill(r, buf, k);
            out.write(buf, 0, k);
            sha.update(buf, 0, k);
            left -= k;
        }
        out.flush();
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The next {@code k} bytes of the {@link #send} stream into {@code buf}: one {@code nextLong} per 8 bytes, so
     * any writer that takes the stream in chunks of a multiple of 8 bytes produces the same bytes.
     */
    public static void fill(SplittableRandom r, byte[] buf, int k) {
        for (int i = 0; i < k; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8 && i + j < k; j++) {
                buf[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }

    /** Reads exactly {@code n} bytes; returns their SHA-256. */
    public static String receive(InputStream in, long n) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        long left = n;
        while (left > 0) {
            int k = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (k < 0) {
                throw new IOException("EOF after " + (n - left) + " of " + n + " bytes");
            }
            sha.update(buf, 0, k);
            left -= k;
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Reads until EOF; returns the SHA-256 and the count as "sha:count". */
    public static String receiveAll(InputStream in) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int k;
        while ((k = in.read(buf)) >= 0) {
            sha.update(buf, 0, k);
            total += k;
        }
        return HexFormat.of().formatHex(sha.digest()) + ":" + total;
    }

    public static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /**
     * Sends {@code request} (ISO-8859-1 bytes, as written) on a new connection to {@code port}, half-closes, and
     * returns all that came back until the gateway closed; "" when it reset instead.
     */
    public static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            try {
                return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            } catch (java.net.SocketException reset) {
                return "";
            }
        }
    }

    /** One line (up to \n) as text. */
    public static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            sb.append((char) b);
        }
        return sb.toString();
    }
}
