package dev.sluice.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.net.Cidr;
import dev.sluice.net.IpLiteral;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The name table of a gateway pair: two boxes, each with its half of the slots, that pull each other's names.
 * What a client is told (the address for a name) and where a connection to an address goes (the name for it).
 */
class PairTableTest {
    static final long TTL = 60_000;
    final AtomicLong now = new AtomicLong(1_000_000);
    final SyntheticTable one = table(1);
    final SyntheticTable two = table(2);

    SyntheticTable table(int half) {
        return new SyntheticTable(Cidr.parse("198.18.0.0/15"), Cidr.parse("fdec:5c::/96"), 16, half, now::get);
    }

    String address(SyntheticTable t, int slot) {
        return IpLiteral.format(t.address(slot, false));
    }

    /** {@code to} pulls everything {@code from} holds. */
    static void sync(SyntheticTable from, SyntheticTable to) {
        to.merge(from.changedSince(0).names());
    }

    @Test
    void halfOneGivesOutEvenSlotsAndHalfTwoOddSlotsSoNoAddressServesTwoNames() {
        assertThat(one.assign("a.test", TTL)).isEqualTo(0);
        assertThat(one.assign("b.test", TTL)).isEqualTo(2);
        assertThat(two.assign("c.test", TTL)).isEqualTo(1);
        assertThat(two.assign("a.test", TTL)).as("not synced yet: its own slot").isEqualTo(3);
        assertThat(address(one, 0)).isEqualTo("198.18.0.1");
        assertThat(address(two, 1)).isEqualTo("198.18.0.2");
        assertThat(one.ownCapacity()).isEqualTo(8);
        assertThat(two.ownCapacity()).isEqualTo(8);
    }

    @Test
    void aNameThePeerHoldsIsAnsweredWithThePeersAddressAndTheOwnOneIsPreferred() {
        int given = one.assign("git.test", TTL);
        sync(one, two);
        assertThat(two.assign("git.test", TTL)).as("box 2 answers with box 1's address").isEqualTo(given);
        assertThat(two.nameOf(one.address(given, false))).isEqualTo("git.test");

        // both answered "both.test" before a sync: two addresses, both routed; each box keeps answering its own
        int mine1 = one.assign("both.test", TTL);
        int mine2 = two.assign("both.test", TTL);
        sync(one, two);
        sync(two, one);
        assertThat(one.assign("both.test", TTL)).isEqualTo(mine1);
        assertThat(two.assign("both.test", TTL)).isEqualTo(mine2);
        assertThat(one.nameOf(one.address(mine2, false))).isEqualTo("both.test");
        assertThat(two.nameOf(two.address(mine1, true))).isEqualTo("both.test");
    }

    @Test
    void thePeersHalfIsTheTruthAndKeepsTheLaterExpiry() {
        one.merge(List.of(new SyntheticTable.Saved(1, "old.test", now.get() + TTL)));
        assertThat(one.nameOf(IpLiteral.parse("198.18.0.2"))).isEqualTo("old.test");
        one.assign("old.test", 5 * TTL); // box 1 answered it with box 2's address: its clients cache it longer
        one.merge(List.of(new SyntheticTable.Saved(1, "old.test", now.get() + TTL)));
        assertThat(entry(one, 1).expiresMillis()).as("the later expiry stays").isEqualTo(now.get() + 5 * TTL);
        one.merge(List.of(new SyntheticTable.Saved(1, "new.test", now.get() + TTL))); // box 2 gave the slot away
        assertThat(one.nameOf(IpLiteral.parse("198.18.0.2"))).isEqualTo("new.test");
        assertThat(one.assign("old.test", TTL)).as("a slot of box 1's own now").isEqualTo(0);
    }

    @Test
    void ownSlotsPulledBackAreAdoptedOnlyWhenFreeHere() {
        int given = one.assign("kept.test", TTL);
        one.assign("other.test", TTL);
        sync(one, two);
        SyntheticTable restarted = table(1); // box 1 lost its table file
        restarted.assign("first.test", TTL); // and answered a new name before its first pull: slot 0 again
        sync(two, restarted);
        assertThat(restarted.nameOf(restarted.address(given, false))).as("ours wins on slot 0").isEqualTo("first.test");
        assertThat(restarted.nameOf(restarted.address(2, false))).as("slot 2 was free: adopted")
                .isEqualTo("other.test");
        assertThat(restarted.assign("other.test", TTL)).isEqualTo(2);
    }

    @Test
    void aFullHalfEvictsOnlyItsOwnNames() {
        for (int i = 0; i < 8; i++) {
            two.assign("peer" + i + ".test", TTL);
        }
        sync(two, one);
        for (int i = 0; i < 8; i++) {
            assertThat(one.assign("n" + i + ".test", TTL)).isEqualTo(2 * i);
        }
        assertThat(one.size()).isEqualTo(16);
        assertThat(one.assign("late.test", TTL)).as("its own half is full of names in use").isEqualTo(-1);
        now.addAndGet(TTL + 1); // every answer has expired, the peer's too
        int slot = one.assign("late.test", TTL);
        assertThat(slot).as("box 1's least recently answered name gives way").isEqualTo(0);
        for (int i = 0; i < 8; i++) {
            assertThat(one.nameOf(one.address(2 * i + 1, false))).as("box 2's names stay").isEqualTo("peer" + i + ".test");
        }
    }

    @Test
    void pulledNamesAreSavedWithTheTableAndComeBackInTheirHalves() {
        one.assign("a.test", TTL);
        two.assign("b.test", TTL);
        sync(two, one);
        SyntheticTable back = table(1);
        assertThat(back.restore(one.snapshot())).isEqualTo(2);
        assertThat(back.nameOf(IpLiteral.parse("198.18.0.2"))).isEqualTo("b.test");
        assertThat(back.assign("c.test", TTL)).as("slot 1 is box 2's: the next even one").isEqualTo(2);
    }

    @Test
    void changesAfterAVersionAreOnlyTheNamesThatChanged() {
        one.assign("a.test", TTL);
        one.assign("b.test", TTL);
        long v = one.changedSince(0).version();
        assertThat(one.changedSince(v).names()).isEmpty();
        now.addAndGet(1000);
        one.assign("b.test", TTL);
        assertThat(one.changedSince(v).names()).extracting(SyntheticTable.Saved::name).containsExactly("b.test");
        one.merge(List.of(new SyntheticTable.Saved(0, "a.test", 0))); // nothing new: no change, no echo
        assertThat(one.changedSince(one.version()).names()).isEmpty();
        assertThat(one.changedSince(v).names()).hasSize(1);
    }

    static SyntheticTable.Saved entry(SyntheticTable t, int slot) {
        return t.snapshot().stream().filter(s -> s.slot() == slot).findFirst().orElseThrow();
    }
}
