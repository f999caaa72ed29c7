package dev.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP CONNECT proxy that can be told to work, demand Basic auth, answer an error, hang, hang up or talk
 * nonsense. Names are routed by a map (name:port to a local port), like a corporate proxy resolving them.
 */
public final class FakeProxy extends TestServer {
    /** How the proxy answers CONNECT. */
    public enum Mode { WORK, STATUS, HANG, HANG_UP, GARBAGE, DRIP, CLOSE_MID_HEADERS }

    private volatile Mode mode = Mode.WORK;
    private volatile String status = "200 Connection established";
    private volatile String credentials;
    private volatile long delayMillis;
    private final Map<String, Integer> routes = new ConcurrentHashMap<>();
    /** Every request head received, in order. */
    public final List<String> requests = new CopyOnWriteArrayList<>();

    public FakeProxy() throws IOException {
        super(plain());
    }

    private FakeProxy(java.net.ServerSocket server) {
        super(server);
    }

    /** A proxy that speaks TLS (the test certificate: localhost, 127.0.0.1) on {@code address}. */
    public static FakeProxy tls(String address, boolean requireClientCert) throws Exception {
        javax.net.ssl.SSLServerSocket s = (javax.net.ssl.SSLServerSocket) (requireClientCert
                ? Pki.serverRequiringClientCerts() : Pki.server()).getServerSocketFactory()
                .createServerSocket(0, 64, InetAddress.getByName(address));
        s.setNeedClientAuth(requireClientCert);
        return new FakeProxy(s);
    }

    public FakeProxy route(String hostPort, int localPort) {
        routes.put(hostPort, localPort);
        return this;
    }

    public FakeProxy answer(String statusLine) {
        this.mode = Mode.STATUS;
        this.status = statusLine;
        return this;
    }

    /** Answers CONNECT only after this long (a slower proxy). */
    public FakeProxy delay(long millis) {
        this.delayMillis = millis;
        return this;
    }

    public FakeProxy mode(Mode m) {
        this.mode = m;
        return this;
    }

    public FakeProxy requireAuth(String user, String password) {
        credentials = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        return this;
    }

    @Override
    protected void serve(Socket s) throws Exception {
        s.setTcpNoDelay(true);
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        String head = readHead(in);
        if (head == null) {
            return;
        }
        requests.add(head);
        if (delayMillis > 0) {
            Thread.sleep(delayMillis);
        }
        String[] first = head.split("\r\n")[0].split(" ");
        switch (mode) {
            case HANG -> {
                in.read(); // until the client gives up
                return;
            }
            case HANG_UP -> {
                return;
            }
            case GARBAGE -> {
                out.write("SSH-2.0-whatever\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in.read();
                return;
            }
            case STATUS -> {
                reply(out, status);
                return;
            }
            case DRIP -> { // a valid answer, one byte every 100 ms
                for (byte b : "HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(100);
                }
                in.read();
                return;
            }
            case CLOSE_MID_HEADERS -> {
                out.write("HTTP/1.1 200 Connection est".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            }
            default -> { }
        }
        if (credentials != null && !head.toLowerCase(java.util.Locale.ROOT)
                .contains("\r\nproxy-authorization: " + credentials.toLowerCase(java.util.Locale.ROOT) + "\r\n")) {
            reply(out, "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"");
            return;
        }
        Integer port = first.length == 3 && first[0].equals("CONNECT") ? routes.get(first[1]) : null;
        if (port == null) {
            reply(out, "502 Bad Gateway");
            return;
        }
        try (Socket origin = new Socket(InetAddress.getLoopbackAddress(), port)) {
            origin.setTcpNoDelay(true);
            reply(out, "200 Connection established");
            java.util.concurrent.CountDownLatch down = new java.util.concurrent.CountDownLatch(1);
            background(() -> {
                pipe(origin, s);
                down.countDown();
            });
            pipe(s, origin);
            down.await();
        }
    }

    /** Copies until EOF, then half-closes the other side (so FIN travels both ways). */
    private static void pipe(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            try {
                to.setSoLinger(true, 0);
                to.close();
                from.close();
            } catch (IOException ignored) {
                // both gone
            }
        }
    }

    private static void reply(OutputStream out, String statusLine) throws IOException {
        out.write(("HTTP/1.1 " + statusLine + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : 0;
            if (state == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
            if (head.size() > 16384) {
                return null;
            }
        }
        return null;
    }
}
