package dev.sluice.observe;

import dev.sluice.session.ConnectionRecord;
import dev.sluice.session.RequestRecord;
import java.util.List;

/** Tells several observers, in order, of each event of a tunnel. */
public final class Observers implements ConnectionRecord.Observer {
    private final ConnectionRecord.Observer[] all;

    private Observers(List<ConnectionRecord.Observer> all) {
        this.all = all.toArray(ConnectionRecord.Observer[]::new);
    }

    public static ConnectionRecord.Observer of(ConnectionRecord.Observer... observers) {
        return new Observers(List.of(observers));
    }

    @Override
    public void opened(ConnectionRecord t) {
        for (ConnectionRecord.Observer o : all) {
            o.opened(t);
        }
    }

    @Override
    public void helloRead(ConnectionRecord t, long nanos) {
        for (ConnectionRecord.Observer o : all) {
            o.helloRead(t, nanos);
        }
    }

    @Override
    public void requested(ConnectionRecord t, RequestRecord r) {
        for (ConnectionRecord.Observer o : all) {
            o.requested(t, r);
        }
    }

    @Override
    public void relaying(ConnectionRecord t) {
        for (ConnectionRecord.Observer o : all) {
            o.relaying(t);
        }
    }

    @Override
    public void moved(boolean up, long n, boolean spliced) {
        for (ConnectionRecord.Observer o : all) {
            o.moved(up, n, spliced);
        }
    }

    @Override
    public void ended(ConnectionRecord t) {
        for (ConnectionRecord.Observer o : all) {
            o.ended(t);
        }
    }
}
