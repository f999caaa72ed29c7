package dev.sluice;

import dev.sluice.config.Limits;
import dev.sluice.dns.PairPuller;
import dev.sluice.inbound.Listener;
import dev.sluice.net.HostPort;
import dev.sluice.observe.GatewayView;
import dev.sluice.policy.Rule;
import dev.sluice.session.CompiledConfig;
import dev.sluice.upstream.Upstream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** The running gateway as the admin listener sees it: read-only, always the configuration in use. */
final class LiveView implements GatewayView {
    private final Instant started = Instant.now();
    private final Build build;
    private final AtomicReference<CompiledConfig> compiled;
    private final List<Listener> listeners;
    private final AtomicReference<State> state;
    private final IntSupplier connections;
    private final Supplier<PairPuller.State> pair;
    private final Function<String, String> names;

    /** Reads the gateway's own holders, never copies of them: what it shows moves with the gateway. */
    LiveView(String transport, AtomicReference<CompiledConfig> compiled, List<Listener> listeners,
             AtomicReference<State> state, IntSupplier connections, Supplier<PairPuller.State> pair,
             Function<String, String> names) {
        this.build = new Build(Version.get(), Version.netty(), System.getProperty("java.version"), transport);
        this.compiled = compiled;
        this.listeners = listeners;
        this.state = state;
        this.connections = connections;
        this.pair = pair;
        this.names = names;
    }

    @Override
    public Build build() {
        return build;
    }

    @Override
    public Instant started() {
        return started;
    }

    @Override
    public State state() {
        return state.get();
    }

    @Override
    public List<ListenerInfo> listeners() {
        List<ListenerInfo> out = new ArrayList<>();
        for (Listener l : listeners) {
            out.add(new ListenerInfo(l.config().name(), HostPort.of(l.localAddress()).toString(),
                    l.config().transparent().label(), l.isBound()));
        }
        return out;
    }

    @Override
    public Collection<Upstream> upstreams() {
        return compiled.get().upstreams().values().stream().sorted(Comparator.comparing(Upstream::name)).toList();
    }

    @Override
    public List<Rule> rules() {
        return compiled.get().policy().rules();
    }

    @Override
    public Limits limits() {
        return compiled.get().config().operations().limits();
    }

    @Override
    public int connections() {
        return connections.getAsInt();
    }

    @Override
    public PairInfo dnsPair() {
        PairPuller.State s = pair.get();
        return s == null ? null : new PairInfo(s.peer(), s.half(), s.lastOkMillis() == 0 ? null
                : Instant.ofEpochMilli(s.lastOkMillis()), s.problem(), s.problem() == null ? null
                : Instant.ofEpochMilli(s.problemSinceMillis()));
    }

    @Override
    public String dnsNames(String since) {
        return names.apply(since);
    }
}
