package dev.sluice.net;

import java.net.InetAddress;
import java.util.Arrays;

/** An address range such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a /32 or /128. */
public final class Cidr {
    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        InetAddress ip = IpLiteral.parse(addr);
        if (ip == null) {
            throw new IllegalArgumentException("bad CIDR '" + text + "': '" + addr + "' is not an IP address");
        }
        byte[] bytes = ip.getAddress();
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > max) {
                throw new IllegalArgumentException("bad CIDR '" + text + "': prefix length must be 0-" + max);
            }
            prefix = Integer.parseInt(p);
        }
        byte[] masked = mask(bytes, prefix);
        if (!Arrays.equals(masked, bytes)) {
            throw new IllegalArgumentException("bad CIDR '" + text + "': host bits are set (did you mean "
                    + new Cidr(masked, prefix) + "?)");
        }
        return new Cidr(masked, prefix);
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            a = mapped(a, network.length);
            if (a == null) {
                return false;
            }
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (a[full] & m) == (network[full] & 0xff);
    }

    /** True when this range matches every address of its family (0.0.0.0/0 or ::/0). */
    public boolean isEverything() {
        return prefix == 0;
    }

    public int prefix() {
        return prefix;
    }

    /** IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address for matching, and vice versa. */
    private static byte[] mapped(byte[] a, int wanted) {
        if (a.length == 16 && wanted == 4) {
            for (int i = 0; i < 10; i++) {
                if (a[i] != 0) {
                    return null;
                }
            }
            if (a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
                return null;
            }
            return Arrays.copyOfRange(a, 12, 16);
        }
        return null;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) ((0xff << (8 - bits)) & 0xff);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }

    /** The range's first address (its network address). */
    public InetAddress first() {
        try {
            return InetAddress.getByAddress(network);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    @Override
    public String toString() {
        return IpLiteral.format(first()) + "/" + prefix;
    }
}
