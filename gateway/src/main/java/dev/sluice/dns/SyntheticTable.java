package dev.sluice.dns;

import dev.sluice.net.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
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
 *
 * <p>In a pair ({@code dns.pair}) the table is split in two halves: half 1 gives out the even slots, half 2 the
 * odd ones, so two boxes never give one address to two names. This box gives new names slots of its own half
 * only, and frees only those; the other half holds what the peer gave out, as pulled ({@link #merge}). A name
 * either half holds is answered with the slot held, this box's own first.
 */
public final class SyntheticTable {
    /** How many of the least recently answered names one assignment looks at for one it may evict. */
    static final int EVICTION_SCAN = 64;

    /** One name as kept on disk: its slot and when its last answer expires (wall-clock milliseconds). */
    public record Saved(int slot, String name, long expiresMillis) {
    }

    /** The names changed after a version, and the version they bring the table to. */
    public record Changes(long version, List<Saved> names) {
    }

    private static final class Entry {
        final String name;
        final int slot;
        long expires;
        int live;
        long changed;

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

    private final SyntheticRanges ranges;
    private final int capacity;
    /** 0: the whole table is this box's; 1: the even slots; 2: the odd slots. */
    private final int half;
    private final Entry[] slots;
    /** This box's slots in use, least recently answered first (the eviction order). */
    private final LinkedHashMap<Integer, Entry> mine = new LinkedHashMap<>(64, 0.75f, true);
    private final HashMap<String, Entry> ownNames = new HashMap<>();
    private final HashMap<String, Entry> peerNames = new HashMap<>();
    private final LongSupplier clock;
    private int used;
    private int cursor;
    private long version;

    /** {@code clock}: wall-clock milliseconds (answers' expiry is kept across restarts). */
    public SyntheticTable(Cidr ipv4, Cidr ipv6, int maxNames, LongSupplier clock) {
        this(ipv4, ipv6, maxNames, 0, clock);
    }

    /** {@code half}: 0 alone, 1 or 2 in a pair (even or odd slots). */
    public SyntheticTable(Cidr ipv4, Cidr ipv6, int maxNames, int half, LongSupplier clock) {
        if (half < 0 || half > 2) {
            throw new IllegalArgumentException("half 0, 1 or 2: " + half);
        }
        this.ranges = new SyntheticRanges(ipv4, ipv6, maxNames);
        this.capacity = ranges.slots();
        this.half = half;
        this.slots = new Entry[capacity];
        this.clock = clock;
        this.cursor = half == 2 ? 1 : 0;
    }

    /** Whether this box gives out {@code slot} (and may free it). */
    public boolean ours(int slot) {
        return half == 0 || slot % 2 == half - 1;
    }

    /** The slots this box gives out: all of them, or its half. */
    public int ownCapacity() {
        return half == 0 ? capacity : half == 1 ? (capacity + 1) / 2 : capacity / 2;
    }

    public int half() {
        return half;
    }

    /**
     * The slot for {@code name} (normalized by the caller), given it now or kept from before (by either half);
     * its answer expires {@code ttlMillis} from now. -1 when this box's half is full of names still in use.
     */
    public synchronized int assign(String name, long ttlMillis) {
        long now = clock.getAsLong();
        Entry e = ownNames.get(name);
        if (e != null) {
            mine.get(e.slot); // access order: to the back
        } else {
            e = peerNames.get(name);
        }
        if (e == null) {
            int slot = mine.size() < ownCapacity() ? freeSlot() : evict(now);
            if (slot < 0) {
                return -1;
            }
            e = new Entry(name, slot, now);
            put(e);
        }
        e.expires = Math.max(e.expires, now + ttlMillis);
        changed(e);
        return e.slot;
    }

    private void put(Entry e) {
        slots[e.slot] = e;
        used++;
        if (ours(e.slot)) {
            mine.put(e.slot, e);
            ownNames.putIfAbsent(e.name, e);
        } else {
            peerNames.putIfAbsent(e.name, e);
        }
    }

    private void remove(Entry e) {
        slots[e.slot] = null;
        used--;
        if (ours(e.slot)) {
            mine.remove(e.slot);
            ownNames.remove(e.name, e);
        } else {
            peerNames.remove(e.name, e);
        }
    }

    private void changed(Entry e) {
        e.changed = ++version;
    }

    /** The next free slot of this box's, from where the last one was found (there is one). */
    private int freeSlot() {
        int step = half == 0 ? 1 : 2;
        int first = half == 2 ? 1 : 0;
        while (slots[cursor] != null) {
            cursor = cursor + step < capacity ? cursor + step : first;
        }
        int slot = cursor;
        cursor = cursor + step < capacity ? cursor + step : first;
        return slot;
    }

    /**
     * Frees the slot of the least recently answered name of this box's that no connection uses and whose answer
     * has expired, looking at most {@link #EVICTION_SCAN} names. Names held by connections move to the back, so
     * they do not hide the others.
     */
    private int evict(long now) {
        List<Entry> held = new ArrayList<>();
        Entry freed = null;
        Iterator<Entry> it = mine.values().iterator();
        for (int scanned = 0; it.hasNext() && scanned < EVICTION_SCAN; scanned++) {
            Entry e = it.next();
            if (e.live > 0) {
                held.add(e);
            } else if (e.expires <= now) {
                freed = e;
                break;
            }
        }
        if (freed != null) {
            remove(freed);
        }
        for (Entry e : held) {
            mine.get(e.slot); // access order: to the back
        }
        return freed == null ? -1 : freed.slot;
    }

    /**
     * Takes in names pulled from the peer. On the peer's half they are the truth: a slot's name is replaced by
     * the pulled one (the same name keeps the later expiry). On this box's half a pulled name is adopted only
     * into a free slot (after a lost table file, the peer still knows what this box gave out); a slot this box
     * uses for another name stays as it is, and the same name keeps the later expiry. Returns how many changed.
     */
    public synchronized int merge(List<Saved> pulled) {
        int n = 0;
        for (Saved s : pulled) {
            if (s.slot() < 0 || s.slot() >= capacity) {
                continue;
            }
            Entry here = slots[s.slot()];
            if (here != null && here.name.equals(s.name())) {
                if (s.expiresMillis() > here.expires) {
                    here.expires = s.expiresMillis();
                    if (ours(here.slot)) {
                        mine.get(here.slot); // answered by the peer: recently used
                    }
                    changed(here);
                    n++;
                }
                continue;
            }
            if (here != null && ours(s.slot())) {
                continue; // ours wins
            }
            if (here != null) {
                remove(here);
            }
            Entry e = new Entry(s.name(), s.slot(), s.expiresMillis());
            put(e);
            changed(e);
            n++;
        }
        return n;
    }

    /** Whether {@code address} is inside either synthetic range (held by a name or not). */
    public boolean isSynthetic(InetAddress address) {
        return ranges.contains(address);
    }

    /** The name {@code address} stands for, held until the lease is closed; null when the table holds none. */
    public synchronized Lease lease(InetAddress address) {
        int slot = ranges.slotOf(address);
        Entry e = slot < 0 ? null : slots[slot];
        if (e == null) {
            return null;
        }
        e.live++;
        return new Lease(e);
    }

    /** The name {@code address} stands for, or null. */
    public synchronized String nameOf(InetAddress address) {
        int slot = ranges.slotOf(address);
        return slot < 0 || slots[slot] == null ? null : slots[slot].name;
    }

    /** The address of {@code slot} in the IPv4 or the IPv6 range. */
    public InetAddress address(int slot, boolean v6) {
        return ranges.address(slot, v6);
    }

    /** Names held, by either half. */
    public synchronized int size() {
        return used;
    }

    public int capacity() {
        return capacity;
    }

    /** Changes so far (each answer counts): the keeper saves when it moved. */
    public synchronized long version() {
        return version;
    }

    /** Every name: this box's, least recently answered first, then the peer's. */
    public synchronized List<Saved> snapshot() {
        List<Saved> out = new ArrayList<>(used);
        for (Entry e : mine.values()) {
            out.add(new Saved(e.slot, e.name, e.expires));
        }
        for (Entry e : slots) {
            if (e != null && !ours(e.slot)) {
                out.add(new Saved(e.slot, e.name, e.expires));
            }
        }
        return out;
    }

    /** The names changed after {@code since} (0: all of them), in slot order, and the version now. */
    public synchronized Changes changedSince(long since) {
        List<Saved> out = new ArrayList<>();
        for (Entry e : slots) {
            if (e != null && e.changed > since) {
                out.add(new Saved(e.slot, e.name, e.expires));
            }
        }
        return new Changes(version, out);
    }

    /** Takes back names saved earlier (in their order); those whose slot is out of range or taken are dropped. */
    public synchronized int restore(List<Saved> saved) {
        int n = 0;
        for (Saved s : saved) {
            if (s.slot() < 0 || s.slot() >= capacity || slots[s.slot()] != null) {
                continue;
            }
            Entry e = new Entry(s.name(), s.slot(), s.expiresMillis());
            put(e);
            changed(e);
            n++;
        }
        return n;
    }

    /** The ranges, as the table file's header records them. */
    public String ranges() {
        return ranges.toString();
    }
}
