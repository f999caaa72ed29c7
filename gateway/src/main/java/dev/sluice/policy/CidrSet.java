package dev.sluice.policy;

import dev.sluice.net.Cidr;
import java.net.InetAddress;
import java.util.List;

/** A set of address ranges. Lists here are short (client ranges, destination ranges of one rule). */
public final class CidrSet {
    private final Cidr[] ranges;

    public CidrSet(List<Cidr> ranges) {
        this.ranges = ranges.toArray(new Cidr[0]);
    }

    public boolean contains(InetAddress address) {
        for (Cidr c : ranges) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    @Override
    public String toString() {
        return List.of(ranges).toString();
    }
}
