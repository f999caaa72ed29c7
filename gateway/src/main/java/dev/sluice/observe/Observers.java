package dev.sluice.observe;

import dev.sluice.relay.Tunnel;
import java.util.List;

/** Tells several observers, in order, of each event of a tunnel. */
public final class Observers implements Tunnel.Observer {
    private final Tunnel.Observer[] all;

    private Observers(List<Tunnel.Observer> all) {
        this.all = all.toArray(Tunnel.Observer[]::new);
    }

    public static Tunnel.Observer of(Tunnel.Observer... observers) {
        return new Observers(List.of(observers));
    }

    @Override
    public void opened(Tunnel t) {
        for (Tunnel.Observer o : all) {
            o.opened(t);
        }
    }

    @Override
    public void helloRead(Tunnel t, long nanos) {
        for (Tunnel.Observer o : all) {
            o.helloRead(t, nanos);
        }
    }

    @Override
    public void relaying(Tunnel t) {
        for (Tunnel.Observer o : all) {
            o.relaying(t);
        }
    }

    @Override
    public void moved(boolean up, long n, boolean spliced) {
        for (Tunnel.Observer o : all) {
            o.moved(up, n, spliced);
        }
    }

    @Override
    public void ended(Tunnel t) {
        for (Tunnel.Observer o : all) {
            o.ended(t);
        }
    }
}
