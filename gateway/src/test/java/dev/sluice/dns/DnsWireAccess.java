package dev.sluice.dns;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/** For tests outside this package: one A question to a responder on loopback, and the address it answered. */
public final class DnsWireAccess {
    private DnsWireAccess() {
    }

    public static InetAddress askA(int port, String name) throws Exception {
        byte[] q = DnsWire.query(1, name, DnsWire.A, false);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            s.setSoTimeout(5000);
            s.send(new DatagramPacket(q, q.length, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            s.receive(p);
            return DnsWire.firstAnswer(Arrays.copyOf(p.getData(), p.getLength())).address();
        }
    }
}
