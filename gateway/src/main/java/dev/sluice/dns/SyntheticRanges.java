package dev.sluice.dns;

import dev.sluice.net.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The two synthetic ranges and the slot numbers of their addresses: slot {@code n} is the {@code n+1}th address of
 * the IPv4 range and of the IPv6 range (the first address of a range is no slot). Immutable; no Netty.
 */
final class SyntheticRanges {
    private final Cidr ipv4;
    private final Cidr ipv6;
    private final byte[] base4;
    private final byte[] base6;
    private final int slots;

    /** At most {@code maxSlots} slots, fewer when a range is smaller. */
    SyntheticRanges(Cidr ipv4, Cidr ipv6, int maxSlots) {
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.base4 = ipv4.first().getAddress();
        this.base6 = ipv6.first().getAddress();
        this.slots = (int) Math.min(maxSlots, Math.min(usable(32 - ipv4.prefix()), usable(128 - ipv6.prefix())));
    }

    /** Addresses of a range with {@code bits} host bits, less its first and last. */
    private static long usable(int bits) {
        return bits >= 31 ? Integer.MAX_VALUE : (1L << bits) - 2;
    }

    int slots() {
        return slots;
    }

    boolean contains(InetAddress address) {
        return ipv4.contains(address) || ipv6.contains(address);
    }

    /** The address of {@code slot} in the IPv4 or the IPv6 range. */
    InetAddress address(int slot, boolean v6) {
        byte[] a = (v6 ? base6 : base4).clone();
        long offset = slot + 1L;
        for (int i = a.length - 1; i >= a.length - 4; i--) {
            long sum = (a[i] & 0xff) + (offset & 0xff);
            a[i] = (byte) sum;
            offset = (offset >>> 8) + (sum >>> 8);
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes
        }
    }

    /** The slot of {@code address}, or -1 when it is none. */
    int slotOf(InetAddress address) {
        boolean v4 = address instanceof Inet4Address;
        if (!(v4 ? ipv4 : ipv6).contains(address)) {
            return -1;
        }
        byte[] a = address.getAddress();
        byte[] base = v4 ? base4 : base6;
        long low = 0;
        long baseLow = 0;
        for (int i = a.length - 4; i < a.length; i++) {
            low = (low << 8) | (a[i] & 0xff);
            baseLow = (baseLow << 8) | (base[i] & 0xff);
        }
        long slot = low - baseLow - 1;
        if (slot < 0 || slot >= slots || !Arrays.equals(address(((int) slot), !v4).getAddress(), a)) {
            return -1;
        }
        return (int) slot;
    }

    /** As the table file's header and a pair's answer record them. */
    @Override
    public String toString() {
        return "ipv4=" + ipv4 + " ipv6=" + ipv6;
    }
}
