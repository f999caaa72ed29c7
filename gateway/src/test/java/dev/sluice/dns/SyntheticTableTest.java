package dev.sluice.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.net.Cidr;
import dev.sluice.net.IpLiteral;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The name table's promises: one slot per name for both families, and what may and may not be given away. */
class SyntheticTableTest {
    final AtomicLong now = new AtomicLong(1_000_000);
    final SyntheticTable table = new SyntheticTable(Cidr.parse("198.18.0.0/15"), Cidr.parse("fdec:5c::/96"), 16,
            now::get);

    @Test
    void oneSlotPerNameServesBothFamiliesAndMapsBack() {
        int a = table.assign("a.test", 60_000);
        assertThat(table.assign("a.test", 60_000)).isEqualTo(a);
        assertThat(IpLiteral.format(table.address(a, false))).isEqualTo("198.18.0.1");
        assertThat(IpLiteral.format(table.address(a, true))).isEqualTo("fdec:5c::1");
        assertThat(table.nameOf(table.address(a, true))).isEqualTo("a.test");
        assertThat(table.nameOf(IpLiteral.parse("198.18.0.2"))).isNull();
        assertThat(table.nameOf(IpLiteral.parse("198.18.0.0"))).isNull(); // the network address is no slot
        assertThat(table.isSynthetic(IpLiteral.parse("198.19.255.255"))).isTrue();
        assertThat(table.isSynthetic(IpLiteral.parse("198.20.0.1"))).isFalse();
    }

    @Test
    void aFullTableGivesUpOnlyAnExpiredUnusedName() {
        for (int i = 0; i < 16; i++) {
            assertThat(table.assign("n" + i + ".test", 60_000)).isEqualTo(i);
        }
        assertThat(table.assign("late.test", 60_000)).as("every answer still in a client's cache").isEqualTo(-1);
        SyntheticTable.Lease held = table.lease(table.address(0, false)); // n0 is used by a connection
        now.addAndGet(60_001);
        int slot = table.assign("late.test", 60_000);
        assertThat(slot).as("n0 is held; n1 is the least recently answered free one").isEqualTo(1);
        assertThat(table.nameOf(table.address(0, false))).isEqualTo("n0.test");
        assertThat(table.nameOf(table.address(1, false))).isEqualTo("late.test");
        held.close();
        assertThat(table.assign("later.test", 60_000)).isIn(0, 2);
        assertThat(table.size()).isEqualTo(16);
    }

    @Test
    void anAnswerAgainKeepsTheNameAndMovesItBack() {
        for (int i = 0; i < 16; i++) {
            table.assign("n" + i + ".test", 60_000);
        }
        now.addAndGet(30_000);
        table.assign("n0.test", 60_000); // answered again: expires later, and is the most recently used
        now.addAndGet(30_001);
        assertThat(table.assign("new.test", 60_000)).isEqualTo(1);
        assertThat(table.nameOf(table.address(0, false))).isEqualTo("n0.test");
    }

    @Test
    void savedNamesComeBackInTheirSlotsAndOrder() {
        table.assign("a.test", 60_000);
        table.assign("b.test", 60_000);
        SyntheticTable other = new SyntheticTable(Cidr.parse("198.18.0.0/15"), Cidr.parse("fdec:5c::/96"), 16,
                now::get);
        assertThat(other.restore(table.snapshot())).isEqualTo(2);
        assertThat(other.nameOf(IpLiteral.parse("198.18.0.2"))).isEqualTo("b.test");
        assertThat(other.assign("c.test", 60_000)).isEqualTo(2);
    }
}
