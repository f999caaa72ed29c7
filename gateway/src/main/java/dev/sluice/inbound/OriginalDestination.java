package dev.sluice.inbound;

import io.netty.channel.Channel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Where a transparently intercepted connection was going before iptables sent it here.
 * REDIRECT (nat table): {@code getsockopt(SO_ORIGINAL_DST)} on the accepted socket, through Netty's epoll
 * transport (no JNI of our own). TPROXY (mangle table): the accepted socket's local address is the original one.
 */
public final class OriginalDestination {
    private static final int SOL_IP = 0;
    private static final int SOL_IPV6 = 41;
    private static final int SO_ORIGINAL_DST = 80; // also IP6T_SO_ORIGINAL_DST
    private static final RawUnixChannelOption V4 = new RawUnixChannelOption("SO_ORIGINAL_DST", SOL_IP,
            SO_ORIGINAL_DST, 16);
    private static final RawUnixChannelOption V6 = new RawUnixChannelOption("IP6T_SO_ORIGINAL_DST", SOL_IPV6,
            SO_ORIGINAL_DST, 28);

    private OriginalDestination() {
    }

    /**
     * The pre-REDIRECT destination, or null when the connection was not redirected (a client that connected to the
     * listener itself: then the "original" destination is the listener, which must never be dialled).
     */
    public static InetSocketAddress redirected(Channel ch) {
        InetSocketAddress local = (InetSocketAddress) ch.localAddress();
        InetSocketAddress original;
        try {
            // an IPv4-mapped address is already an Inet4Address in Java (InetAddress converts it)
            original = local.getAddress() instanceof java.net.Inet6Address
                    ? decode(ch.config().getOption(V6)) : decode(ch.config().getOption(V4));
        } catch (RuntimeException e) {
            return null; // ENOENT: no conntrack entry, not redirected
        }
        if (original == null || original.equals(local)) {
            return null;
        }
        return original;
    }

    /**
     * The destination a TPROXY'd connection was going to: the accepted socket's own address; null when the client
     * connected to the listener's own port (not intercepted).
     */
    public static InetSocketAddress tproxied(Channel ch) {
        InetSocketAddress local = (InetSocketAddress) ch.localAddress();
        InetSocketAddress listener = ch.parent() == null ? null : (InetSocketAddress) ch.parent().localAddress();
        if (listener == null || listener.getPort() != local.getPort()) {
            return local;
        }
        // on the listener's port: intercepted only if the address is not one of this host's own
        try {
            return NetworkInterface.getByInetAddress(local.getAddress()) != null ? null : local;
        } catch (SocketException e) {
            return local;
        }
    }

    /** Decodes a {@code sockaddr_in} (16 bytes) or {@code sockaddr_in6} (28 bytes) as getsockopt returns it. */
    static InetSocketAddress decode(ByteBuffer b) {
        if (b == null || b.remaining() < 8) {
            return null;
        }
        int family = (b.get(0) & 0xff) | ((b.get(1) & 0xff) << 8); // host order (little-endian on x86/arm)
        int port = ((b.get(2) & 0xff) << 8) | (b.get(3) & 0xff);    // network order
        byte[] addr;
        if (family == 2 && b.remaining() >= 8) {
            addr = new byte[4];
            b.get(4, addr);
        } else if (family == 10 && b.remaining() >= 24) {
            addr = new byte[16];
            b.get(8, addr);
        } else {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(addr), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
