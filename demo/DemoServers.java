import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The two servers of {@code demo/run}, in one JDK-only program (run it as {@code java demo/DemoServers.java ...}):
 *
 * <ul>
 *   <li>a CONNECT proxy, standing in for the corporate proxy: it takes {@code CONNECT name:port}, logs the line
 *       and connects <em>every</em> name to the origin below (the demo never leaves this machine);</li>
 *   <li>an HTTPS origin, standing in for the real server: TLS with the key in {@code --keystore} (PKCS#12) and the
 *       certificate chain in {@code --cert} (PEM), one small page per connection that says which server name (SNI)
 *       and TLS version it saw.</li>
 * </ul>
 *
 * Both listen on free ports of 127.0.0.1 that the kernel picks; the program also picks {@code --free-ports N} more
 * free ports for the caller (bound, then released). On stdout, one line each: {@code proxy 127.0.0.1:P},
 * {@code origin 127.0.0.1:O}, {@code free 127.0.0.1:A ...}, {@code ready}; then one line per CONNECT and per page
 * served. It exits when {@code --parent PID} exits (so nothing outlives the demo) or on SIGTERM.
 */
public final class DemoServers {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        Path keystore = Path.of(required(opts, "--keystore"));
        char[] password = required(opts, "--password").toCharArray();
        Path certificate = Path.of(required(opts, "--cert"));
        int freePorts = Integer.parseInt(opts.getOrDefault("--free-ports", "0"));
        if (opts.containsKey("--parent")) {
            long parent = Long.parseLong(opts.get("--parent"));
            ProcessHandle.of(parent).ifPresentOrElse(
                    p -> p.onExit().thenRun(() -> System.exit(0)),
                    () -> System.exit(0));
        }

        SSLContext tls = tls(keystore, password, certificate);
        SSLServerSocket origin = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 50, LOOPBACK);
        ServerSocket proxy = new ServerSocket(0, 50, LOOPBACK);
        InetSocketAddress originAddress = (InetSocketAddress) origin.getLocalSocketAddress();

        StringBuilder free = new StringBuilder("free");
        for (int i = 0; i < freePorts; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
                free.append(' ').append(hostPort((InetSocketAddress) s.getLocalSocketAddress()));
            }
        }
        daemon("origin", () -> acceptLoop(origin, s -> servePage((SSLSocket) s)));
        daemon("proxy", () -> acceptLoop(proxy, s -> tunnel(s, originAddress)));
        OUT.println("proxy " + hostPort((InetSocketAddress) proxy.getLocalSocketAddress()));
        OUT.println("origin " + hostPort(originAddress));
        OUT.println(free);
        OUT.println("ready");
        Thread.currentThread().join(); // until SIGTERM or the parent's exit
    }

    /** The key of the keystore's only entry, with the certificate chain of the PEM file (the CA's signature). */
    private static SSLContext tls(Path keystore, char[] password, Path certificate) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        String alias = ks.aliases().nextElement();
        Key key = ks.getKey(alias, password);
        Certificate[] chain;
        try (InputStream in = Files.newInputStream(certificate)) {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(new Certificate[0]);
        }
        ks.setKeyEntry(alias, key, password, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        return tls;
    }

    interface Handler {
        void handle(Socket s) throws IOException;
    }

    private static void acceptLoop(ServerSocket server, Handler handler) {
        while (true) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                OUT.println("accept failed: " + e);
                return;
            }
            daemon("conn", () -> {
                try (s) {
                    handler.handle(s);
                } catch (IOException e) {
                    OUT.println("connection from " + hostPort((InetSocketAddress) s.getRemoteSocketAddress())
                            + " failed: " + e.getMessage());
                }
            });
        }
    }

    /** The proxy: one CONNECT, a 200, then bytes both ways until both sides are done. */
    private static void tunnel(Socket client, InetSocketAddress origin) throws IOException {
        String from = hostPort((InetSocketAddress) client.getRemoteSocketAddress());
        String head = readHead(client.getInputStream());
        String requestLine = head.lines().findFirst().orElse("");
        OutputStream toClient = client.getOutputStream();
        if (!requestLine.startsWith("CONNECT ")) {
            OUT.println("proxy: refused '" + requestLine + "' from " + from + " (CONNECT only)");
            toClient.write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return;
        }
        try (Socket server = new Socket(Proxy.NO_PROXY)) {
            server.connect(origin, 5000);
            OUT.println("proxy: " + requestLine + " from " + from + " -> origin " + hostPort(origin));
            toClient.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            toClient.flush();
            Thread up = daemon("up", () -> pump(client, server));
            pump(server, client);
            try {
                up.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Copies until end of stream, then half-closes the other side; on an error closes both. */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            close(from);
            close(to);
        }
    }

    /** The origin: one request, one small page naming what it saw, then close (with TLS close_notify). */
    private static void servePage(SSLSocket s) throws IOException {
        s.startHandshake();
        String sni = ((ExtendedSSLSession) s.getSession()).getRequestedServerNames().stream()
                .filter(n -> n instanceof SNIHostName).map(n -> ((SNIHostName) n).getAsciiName())
                .findFirst().orElse("(none)");
        String requestLine = readHead(s.getInputStream()).lines().findFirst().orElse("");
        String port = Integer.toString(s.getLocalPort());
        OUT.println("origin: " + requestLine + " over " + s.getSession().getProtocol() + ", SNI " + sni);
        String body = "Hello from the demo origin on 127.0.0.1:" + port + ", standing in for " + sni + ".\n"
                + "Your TLS session ended here, not in Sluice: " + s.getSession().getProtocol() + ", SNI " + sni
                + ", request '" + requestLine + "'.\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** The request head, byte by byte up to the empty line: nothing after it is consumed. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && head.size() < 16384) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opts.put(args[i], args[i + 1]);
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option " + args[args.length - 1] + " has no value");
        }
        return opts;
    }

    private static String required(Map<String, String> opts, String name) {
        String v = opts.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing " + name
                    + " (usage: java DemoServers.java --keystore KEY.p12 --password PASS --cert CHAIN.pem"
                    + " [--free-ports N] [--parent PID])");
        }
        return v;
    }
}
