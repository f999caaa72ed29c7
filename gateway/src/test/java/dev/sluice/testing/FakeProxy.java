package dev.sluice.testing;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP CONNECT proxy that can be told to work, demand Basic auth, answer an error, hang, hang up or talk
 * nonsense. Names are routed by a map (name:port to a local port), like a corporate proxy resolving them.
 *
 * <p>A working tunnel can also be given a fault ({@link #fault}: close, reset or stall once a direction has
 * carried a set number of bytes), a success answer of its own ({@link #successHead}) sent in many small writes
 * ({@link #splitSuccess}), and the origin's first bytes in the same write as the answer
 * ({@link #coalesceFirstBytes}). What each tunnel carried is in {@link #carried}.
 */
public final class FakeProxy extends TestServer {
    /** How the proxy answers CONNECT. */
    public enum Mode { WORK, STATUS, HANG, HANG_UP, GARBAGE, DRIP, CLOSE_MID_HEADERS }

    /** A direction of tunnel bytes: client to origin, or origin to client. */
    public enum Direction { UP, DOWN }

    /** What the proxy does to a working tunnel once the faulted direction has carried its bytes. */
    public enum Fault {
        /**
         * An orderly close: FIN to the gateway (shutdownOutput) and to the origin, then close() of both (at once,
         * or after {@link #holdCloseAfterFin}). Where bytes sent to the proxy are still unread (mid-upload), the
         * kernel answers them with a RST after the close, as it does for any program that closes with unread input.
         */
        FIN,
        /** An abortive close towards the gateway (SO_LINGER 0: RST, nothing unsent goes out); FIN to the origin. */
        RST,
        /** Stops reading and writing both ways, both sockets left open (until the proxy is closed). */
        STALL
    }

    /** What the proxy did with one tunnel: payload bytes forwarded each way, and the fault once it was done. */
    public static final class Carried {
        public final AtomicLong up = new AtomicLong();
        public final AtomicLong down = new AtomicLong();
        /** Completed once the fault is under way: the FINs or the RST sent, or the stall begun. */
        public final CompletableFuture<Fault> faulted = new CompletableFuture<>();
        /** System.nanoTime() when the fault began. */
        public volatile long faultedAtNanos;
        volatile boolean stalled;
        volatile boolean faulting; // set first thing: the other direction then leaves both sockets to the fault
        final CountDownLatch released = new CountDownLatch(1);
        final CountDownLatch closeAfterFin = new CountDownLatch(1);
        final CountDownLatch goAhead = new CountDownLatch(1);

        /** With {@link #holdFault}: do the fault now. */
        public void go() {
            goAhead.countDown();
        }

        /** With {@link #holdCloseAfterFin}: the FIN has been seen where it matters; close now. */
        public void closeNow() {
            closeAfterFin.countDown();
        }
    }

    private volatile Mode mode = Mode.WORK;
    private volatile String status = "200 Connection established";
    private volatile String credentials;
    private volatile ProxyAuthenticator authenticator;
    private volatile long delayMillis;
    private volatile Fault fault;
    private volatile Direction faultDirection;
    private volatile long faultAfter;
    private volatile String successHead;
    private volatile int splitBytes;
    private volatile long splitPauseMillis;
    private volatile int coalesce;
    private volatile boolean holdCloseAfterFin;
    private volatile boolean holdFault;
    /** Every tunnel carried (a working CONNECT), in order. */
    public final List<Carried> carried = new CopyOnWriteArrayList<>();
    /** The writes the last success answer took (with the coalesced tunnel bytes, if any, in the last). */
    public final AtomicInteger answerWrites = new AtomicInteger();
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

    /** Routes {@code hostPort} to {@code localPort} on each proxy; their URLs, comma-separated, for proxies: [...]. */
    public static String routedUrls(String hostPort, int localPort, FakeProxy... proxies) {
        StringBuilder urls = new StringBuilder();
        for (FakeProxy p : proxies) {
            urls.append(urls.length() == 0 ? "" : ", ").append("http://127.0.0.1:").append(p.port());
            p.route(hostPort, localPort);
        }
        return urls.toString();
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

    /**
     * In each tunnel, once direction {@code d} has carried exactly {@code afterBytes} payload bytes, do
     * {@code f} (the other direction is forwarded as usual until then).
     */
    public FakeProxy fault(Direction d, long afterBytes, Fault f) {
        this.faultDirection = d;
        this.faultAfter = afterBytes;
        this.fault = f;
        return this;
    }

    /**
     * Once the faulted direction has carried its bytes, wait for {@link Carried#go} (at most 20 s) before the fault:
     * the test decides how much may have passed downstream (with RST, what the proxy's socket has not yet sent when
     * the fault comes is dropped by its kernel).
     */
    public FakeProxy holdFault() {
        this.holdFault = true;
        return this;
    }

    /**
     * With {@link Fault#FIN}: after the FINs, wait for {@link Carried#closeNow} (at most 20 s) before closing, so
     * that the FIN is known to have been taken before the close (and the RST it brings for unread bytes) follows.
     */
    public FakeProxy holdCloseAfterFin() {
        this.holdCloseAfterFin = true;
        return this;
    }

    /** Answers a good CONNECT with this response head (status line, headers, the empty line) instead of the plain 200. */
    public FakeProxy successHead(String head) {
        this.successHead = head;
        return this;
    }

    /**
     * Sends the success answer in writes of {@code bytes} bytes, each flushed, {@code pauseMillis} apart (with
     * TCP_NODELAY on loopback: one segment each).
     */
    public FakeProxy splitSuccess(int bytes, long pauseMillis) {
        this.splitBytes = bytes;
        this.splitPauseMillis = pauseMillis;
        return this;
    }

    /**
     * Reads the origin's first {@code n} bytes (an origin that speaks first) before answering, and sends them in
     * the same write as the success answer (its last piece, when it is split): the 200 and the first tunnel bytes
     * in one segment.
     */
    public FakeProxy coalesceFirstBytes(int n) {
        this.coalesce = n;
        return this;
    }

    /** The last tunnel carried (waits for it to begin). */
    public Carried lastTunnel() {
        await().atMost(Duration.ofSeconds(20)).until(() -> !carried.isEmpty());
        return carried.get(carried.size() - 1);
    }

    /** Authenticates each connection's CONNECT with {@code a} (several legs: 407s with bodies, then the tunnel). */
    public FakeProxy authenticate(ProxyAuthenticator a) {
        this.authenticator = a;
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
        if (authenticator != null) {
            ProxyAuthenticator.Conversation c = authenticator.open();
            ProxyAuthenticator.Challenge challenge;
            while ((challenge = c.on(head)) != null) {
                out.write(("HTTP/1.1 407 Proxy Authentication Required\r\n" + challenge.headers()
                        + "\r\nContent-Type: text/html\r\nContent-Length: " + ProxyAuthenticator.BODY.length
                        + (challenge.close() ? "\r\nConnection: close" : "") + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(ProxyAuthenticator.BODY);
                out.flush();
                if (challenge.close() || (head = readHead(in)) == null) {
                    return;
                }
                requests.add(head);
            }
        }
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
            Carried c = new Carried();
            carried.add(c);
            if (successHead == null && splitBytes == 0 && coalesce == 0) {
                reply(out, "200 Connection established");
            } else {
                answer(out, origin, c);
            }
            CountDownLatch down = new CountDownLatch(1);
            background(() -> {
                pipe(origin, s, Direction.DOWN, s, origin, c);
                down.countDown();
            });
            pipe(s, origin, Direction.UP, s, origin, c);
            down.await();
        }
    }

    /** The success answer as configured: its own head, in pieces, with the origin's first bytes in its last write. */
    private void answer(OutputStream out, Socket origin, Carried c) throws Exception {
        String head = successHead != null ? successHead : "HTTP/1.1 200 Connection established\r\n\r\n";
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] first = coalesce > 0 ? origin.getInputStream().readNBytes(coalesce) : new byte[0];
        c.down.addAndGet(first.length);
        int piece = splitBytes > 0 ? splitBytes : bytes.length;
        int writes = 0;
        for (int at = 0; at < bytes.length; at += piece) {
            int n = Math.min(piece, bytes.length - at);
            boolean last = at + n >= bytes.length;
            if (last && first.length > 0) {
                byte[] joined = Arrays.copyOfRange(bytes, at, at + n + first.length);
                System.arraycopy(first, 0, joined, n, first.length);
                out.write(joined); // one write: the end of the answer and the first tunnel bytes together
            } else {
                out.write(bytes, at, n);
            }
            out.flush();
            writes++;
            if (!last && splitPauseMillis > 0) {
                Thread.sleep(splitPauseMillis);
            }
        }
        answerWrites.set(writes);
    }

    /**
     * Copies until EOF, then half-closes the other side (so FIN travels both ways). In the faulted direction, copies
     * exactly the bytes it is allowed, then does the fault.
     */
    private void pipe(Socket from, Socket to, Direction d, Socket gateway, Socket origin, Carried c) {
        byte[] buf = new byte[64 * 1024];
        AtomicLong count = d == Direction.UP ? c.up : c.down;
        Fault f = fault;
        long limit = f != null && faultDirection == d ? faultAfter : Long.MAX_VALUE;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while (count.get() < limit && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - count.get()))) > 0) {
                if (c.stalled) {
                    c.released.await(); // the other direction stalled the tunnel: this one forwards nothing more
                    return;
                }
                out.write(buf, 0, n);
                count.addAndGet(n);
            }
            if (count.get() >= limit) {
                if (holdFault) {
                    c.goAhead.await(20, TimeUnit.SECONDS);
                }
                doFault(f, gateway, origin, c);
                return;
            }
            if (c.stalled) {
                c.released.await();
                return;
            }
            if (c.faulting) {
                return; // the other direction's fault deals with both sockets
            }
            to.shutdownOutput();
        } catch (IOException | UnsupportedOperationException | InterruptedException e) {
            if (c.faulting) {
                return; // the fault closed the sockets under this direction: nothing more to do
            }
            try {
                to.setSoLinger(true, 0);
                to.close();
                from.close();
            } catch (IOException ignored) {
                // both gone
            }
        }
    }

    private void doFault(Fault f, Socket gateway, Socket origin, Carried c) throws IOException,
            InterruptedException {
        c.faulting = true;
        c.faultedAtNanos = System.nanoTime();
        switch (f) {
            case FIN -> {
                try {
                    gateway.shutdownOutput();
                    origin.shutdownOutput();
                    c.faulted.complete(f);
                    if (holdCloseAfterFin) {
                        c.closeAfterFin.await(20, TimeUnit.SECONDS);
                    }
                } finally {
                    gateway.close();
                    origin.close();
                    c.faulted.complete(f);
                }
            }
            case RST -> {
                try {
                    gateway.setSoLinger(true, 0);
                    gateway.close();
                    origin.shutdownOutput();
                } finally {
                    origin.close();
                    c.faulted.complete(f);
                }
            }
            case STALL -> {
                c.stalled = true;
                c.faulted.complete(f);
                c.released.await(); // until the proxy is closed (its threads are interrupted)
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
