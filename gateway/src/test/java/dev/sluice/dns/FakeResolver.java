package dev.sluice.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The company's resolver, in the JVM, that can be told to misbehave: it answers every question with one A record
 * (10.9.8.7), or never answers, or sends garbage. UDP and TCP on the same port of 127.0.0.1; it keeps what it was
 * asked.
 */
final class FakeResolver implements AutoCloseable {
    enum Mode { ANSWER, SILENT, GARBAGE }

    static final byte[] ANSWER_RECORD = {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7};

    final List<byte[]> udpQueries = new CopyOnWriteArrayList<>();
    final List<byte[]> tcpQueries = new CopyOnWriteArrayList<>();
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private volatile Mode mode;

    FakeResolver(Mode mode) throws Exception {
        this.mode = mode;
        this.tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.udp = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress());
        Thread u = new Thread(this::serveUdp, "fake-resolver-udp");
        u.setDaemon(true);
        u.start();
        Thread t = new Thread(this::serveTcp, "fake-resolver-tcp");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return tcp.getLocalPort();
    }

    void mode(Mode m) {
        mode = m;
    }

    /** The answer this resolver gives to {@code query}: QR and RA set, one A record appended. */
    static byte[] answer(byte[] query) {
        byte[] a = Arrays.copyOf(query, query.length + ANSWER_RECORD.length);
        a[2] |= (byte) 0x80;
        a[3] |= (byte) 0x80;
        a[7] = 1;
        System.arraycopy(ANSWER_RECORD, 0, a, query.length, ANSWER_RECORD.length);
        return a;
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] q = Arrays.copyOf(p.getData(), p.getLength());
                udpQueries.add(q);
                switch (mode) {
                    case ANSWER -> {
                        byte[] a = answer(q);
                        udp.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
                    }
                    case GARBAGE -> {
                        byte[] junk = {1, 2, 3};
                        udp.send(new DatagramPacket(junk, junk.length, p.getSocketAddress()));
                        byte[] wrongId = answer(q);
                        wrongId[0] ^= 0x55;
                        udp.send(new DatagramPacket(wrongId, wrongId.length, p.getSocketAddress()));
                    }
                    case SILENT -> { }
                }
            } catch (Exception e) {
                // closed
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket s = tcp.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] q = new byte[in.readUnsignedShort()];
                in.readFully(q);
                tcpQueries.add(q);
                if (mode == Mode.ANSWER) {
                    byte[] a = answer(q);
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeShort(a.length);
                    out.write(a);
                    out.flush();
                }
                in.read(); // until the gateway closes
            } catch (Exception e) {
                // closed
            }
        }
    }

    @Override
    public void close() throws Exception {
        udp.close();
        tcp.close();
    }
}
