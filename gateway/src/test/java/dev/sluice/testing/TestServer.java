package dev.sluice.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A blocking thread-per-connection server on 127.0.0.1 for tests: origins and proxies. */
public abstract class TestServer implements AutoCloseable {
    protected final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, getClass().getSimpleName());
        t.setDaemon(true);
        return t;
    });
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();
    public final List<Throwable> failures = new CopyOnWriteArrayList<>();

    protected TestServer(ServerSocket server) {
        this.server = server;
        threads.execute(this::acceptLoop);
    }

    protected static ServerSocket plain() throws IOException {
        return new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    }

    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.add(s);
                threads.execute(() -> {
                    try (s) {
                        serve(s);
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        open.remove(s);
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Connections accepted since the server started. */
    public long accepted() {
        return accepted.get();
    }

    /** Connections being served now. */
    public int openConnections() {
        return open.size();
    }

    /** Runs a helper task on this server's threads (e.g. the other direction of a pipe). */
    protected void background(Runnable r) {
        threads.execute(r);
    }

    protected abstract void serve(Socket s) throws Exception;

    /** A port on 127.0.0.1 that nobody listens on (connections are refused). */
    public static int closedPort() throws IOException {
        try (ServerSocket s = plain()) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
        threads.shutdownNow();
    }
}
