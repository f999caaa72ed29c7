package dev.sluice.testing;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The destination server: TLS with the test certificate (so a client's handshake proves its ClientHello reached
 * it unchanged), or raw TCP (for byte-exact relay tests). What it does with a connection is up to the test.
 */
public final class Origin extends TestServer {
    /** What the origin does with one accepted connection. */
    public interface Behaviour {
        void serve(Socket s) throws Exception;
    }

    /**
     * The origin's little protocol, line by line until an empty line: "UP n" (it reads n bytes and answers their
     * SHA-256) and "DOWN n seed" (it sends n deterministic bytes, {@link Clients#send}).
     */
    public static final Behaviour COMMANDS = s -> {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
            String line = Clients.readLine(in);
            if (line.isEmpty()) {
                return;
            }
            String[] cmd = line.split(" ");
            if (cmd[0].equals("UP")) {
                String sha = Clients.receive(in, Long.parseLong(cmd[1]));
                out.write((sha + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } else if (cmd[0].equals("DOWN")) {
                Clients.send(out, Long.parseLong(cmd[1]), Long.parseLong(cmd[2]));
            }
        }
    };

    private volatile Behaviour behaviour;
    public final List<String> serverNames = new CopyOnWriteArrayList<>();

    private Origin(ServerSocket server, Behaviour behaviour) {
        super(server);
        this.behaviour = behaviour;
    }

    public static Origin tls(Behaviour behaviour) throws Exception {
        SSLServerSocket s = (SSLServerSocket) Pki.server().getServerSocketFactory()
                .createServerSocket(0, 128, java.net.InetAddress.getLoopbackAddress());
        return new Origin(s, behaviour);
    }

    public static Origin raw(Behaviour behaviour) throws Exception {
        return new Origin(plain(), behaviour);
    }

    public void behaviour(Behaviour b) {
        behaviour = b;
    }

    @Override
    protected void serve(Socket s) throws Exception {
        if (s instanceof SSLSocket ssl) {
            ssl.startHandshake();
            if (ssl.getSession() instanceof ExtendedSSLSession ext) {
                ext.getRequestedServerNames().forEach(n -> serverNames.add(((SNIHostName) n).getAsciiName()));
            }
        }
        behaviour.serve(s);
    }
}
