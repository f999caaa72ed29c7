package dev.sluice.session;

import dev.sluice.relay.Direction;
import dev.sluice.relay.RelayReport;
import dev.sluice.relay.Verdict;

/** Writes what the relay reports into the connection's record: bytes up and down, the outcome, a note. */
final class RecordedRelay implements RelayReport {
    private final ConnectionRecord record;

    RecordedRelay(ConnectionRecord record) {
        this.record = record;
    }

    @Override
    public void joined(long prefixBytes) {
        record.addHelloBytes(prefixBytes);
        record.relaying();
    }

    @Override
    public void moved(Direction direction, long n, boolean spliced) {
        if (direction.up()) {
            record.addUp(n, spliced);
        } else {
            record.addDown(n, spliced);
        }
    }

    @Override
    public void failed(Verdict verdict) {
        record.fail(switch (verdict.kind()) {
            case RESET -> Outcome.RESET;
            case IDLE_TIMEOUT -> Outcome.IDLE_TIMEOUT;
        }, verdict.error());
    }

    @Override
    public void note(String note) {
        record.note(note);
    }

    @Override
    public boolean closedByOwner() {
        return record.isClosing();
    }
}
