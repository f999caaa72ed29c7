package dev.sluice.dns;

import dev.sluice.net.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The names the DNS responder has answered with synthetic addresses, and back. One slot per name serves both
 * families: slot {@code n} is the {@code n+1}th address of the IPv4 range and of the IPv6 range. A name keeps its
 * slot while it is in use; when the table is full the least recently answered name gives its slot up, but never
 * one whose last answer may still be in a client's cache (its TTL has not run out) or that an open connection
 * uses ({@link #lease}). Safe for any thread: every method holds the table's lock briefly and does no I/O.
 */
public final class SyntheticTable {
    /** How many of the least recently answered names one assignment looks at for one it may evict. */
    static final int EVICTION_SCAN = 64;

    /** One name as kept on disk: its slot and when its last answer expires (wall-clock milliseconds). */
    public record Saved(int slot, String name, long expiresMillis) {
    }

    private static final class Entry {
        final String name;
        final int slot;
        long expires;
        int live;

        Entry(String name, int slot, long expires) {
            this.name = name;
            this.slot = slot;
            this.expires = expires;
        }
    }

    /** An open connection's hold on a name: its slot is not given away until {@link #close}. */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        public String name() {
            return entry.name;
        }

        @Override
        public void close() {
            synchronized (SyntheticTable.this) {
                if (!closed) {
                    closed = true;
                    entry.live--;
                }
            }
        }
    }

    private final Cidr ipv4;
    private final Cidr ipv6;
    private final byte[] base4;
    private final byte[] base6;
    private final int capacity;
    private final Entry[] slots;
    private final LinkedHashMap<String, Entry> byName = new LinkedHashMap<>(64, 0.75f, true);
    private final LongSupplier clock;
    private int cursor;
    private long version;

    /** {@code clock}: wall-clock milliseconds (answers' expiry is kept across restarts). */
    public SyntheticTable(Cidr ipv4, Cidr ipv6, int maxNames, LongSupplier clock) {
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.base4 = ipv4.first().getAddress();
        this.base6 = ipv6.first().getAddress();
        this.capacity = (int) Math.min(maxNames, Math.min(usable(32 - ipv4.prefix()), usable(128 - ipv6.prefix())));
        this.slots = new Entry[capacity];
        this.clock = clock;
    }

    /** Addresses of a range with {@code bits} host bits, less its first and last. */
    private static long usable(int bits) {
        return bits >= 31 ? Integer.MAX_VALUE : (1L << bits) - 2;
    }

    /**
     * The slot for {@code name} (normalized by the caller), given it now or kept from before; its answer expires
     * {@code ttlMillis} from now. -1 when the table is full of names still in use.
     */
    public synchronized int assign(String name, long ttlMillis) {
        long now = clock.getAsLong();
        Entry e = byName.get(name);
        if (e == null) {
            int slot = byName.size() < capacity ? freeSlot() : evict(now);
            if (slot < 0) {
                return -1;
            }
            e = new Entry(name, slot, now);
            slots[slot] = e;
            byName.put(name, e);
        }
        e.expires = Math.max(e.expires, now + ttlMillis);
        version++;
        return e.slot;
    }

    private int freeSlot() {
        while (slots[cursor] != null) {
            cursor = (cursor + 1) % capacity;
        }
        int slot = cursor;
        cursor = (cursor + 1) % capacity;
        return slot;
    }

    /**
     * Frees the slot of the least recently answered name that no connection uses and whose answer has expired.
     * Names held by connections move to the back, so they do not hide the others; answers expire in the order
     * they were given, so an unexpired one at the front means there is none to free.
     */
    private int evict(long now) {
        List<Entry> held = new ArrayList<>();
        int freed = -1;
        Iterator<Entry> it = byName.values().iterator();
        for (int scanned = 0; it.hasNext() && scanned < EVICTION_SCAN; scanned++) {
            Entry e = it.next();
            if (e.live > 0) {
                held.add(e);
                continue;
            }
            if (e.expires > now) {
                break;
            }
            it.remove();
            slots[e.slot] = null;
            freed = e.slot;
            break;
        }
        for (Entry e : held) {
            byName.get(e.name); // access order: to the back
        }
        return freed;
    }

    /** Whether {@code address} is inside either synthetic range (held by a name or not). */
    public boolean isSynthetic(InetAddress address) {
        return ipv4.contains(address) || ipv6.contains(address);
    }

    /** The name {@code address} stands for, held until the lease is closed; null when the table holds none. */
    public synchronized Lease lease(InetAddress address) {
        int slot = slotOf(address);
        Entry e = slot < 0 ? null : slots[slot];
        if (e == null) {
            return null;
        }
        e.live++;
        return new Lease(e);
    }

    /** The name {@code address} stands for, or null. */
    public synchronized String nameOf(InetAddress address) {
        int slot = slotOf(address);
        return slot < 0 || slots[slot] == null ? null : slots[slot].name;
    }

    /** The address of {@code slot} in the IPv4 or the IPv6 range. */
    public InetAddress address(int slot, boolean v6) {
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

    private int slotOf(InetAddress address) {
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
        if (slot < 0 || slot >= capacity || !Arrays.equals(address(((int) slot), !v4).getAddress(), a)) {
            return -1;
        }
        return (int) slot;
    }

    public synchronized int size() {
        return byName.size();
    }

    public int capacity() {
        return capacity;
    }

    /** Changes so far (each answer counts): the keeper saves when it moved. */
    public synchronized long version() {
        return version;
    }

    /** Every name, least recently answered first. */
    public synchronized List<Saved> snapshot() {
        List<Saved> out = new ArrayList<>(byName.size());
        for (Entry e : byName.values()) {
            out.add(new Saved(e.slot, e.name, e.expires));
        }
        return out;
    }

    /** Takes back names saved earlier (in their order); those whose slot is out of range or taken are dropped. */
    public synchronized int restore(List<Saved> saved) {
        int n = 0;
        for (Saved s : saved) {
            if (s.slot() < 0 || s.slot() >= capacity || slots[s.slot()] != null || byName.containsKey(s.name())) {
                continue;
            }
            Entry e = new Entry(s.name(), s.slot(), s.expiresMillis());
            slots[s.slot()] = e;
            byName.put(s.name(), e);
            n++;
        }
        return n;
    }

    /** The ranges, as the table file's header records them. */
    public String ranges() {
        return "ipv4=" + ipv4 + " ipv6=" + ipv6;
    }
}
