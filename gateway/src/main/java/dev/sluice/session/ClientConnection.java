package dev.sluice.session;

import dev.sluice.config.Action;
import dev.sluice.config.DnsConfig;
import dev.sluice.config.ListenerConfig;
import dev.sluice.dns.SyntheticTable;
import dev.sluice.inbound.HeldBytes;
import dev.sluice.inbound.Hello;
import dev.sluice.inbound.OriginalDestination;
import dev.sluice.inbound.PeekFailure;
import dev.sluice.inbound.PeekHandler;
import dev.sluice.inbound.PeekListener;
import dev.sluice.inbound.TlsAlert;
import dev.sluice.net.HostName;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.policy.Decision;
import dev.sluice.policy.Flow;
import dev.sluice.policy.LocalTargets;
import dev.sluice.relay.ClientLeg;
import dev.sluice.relay.Closing;
import dev.sluice.relay.Relay;
import dev.sluice.relay.UpstreamLeg;
import dev.sluice.upstream.DialException;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Drives one accepted connection through the stages: client allow-list, peek, policy, dial, relay, and the one
 * access-log line at the end. Everything here runs on the connection's event loop.
 *
 * <p>What a refused client is told: a client outside {@code clients} and one whose first bytes are no usable
 * ClientHello get a plain reset (nothing that would tell a stranger or a scanner more). A TLS client refused after
 * its ClientHello, before any byte of a tunnel has moved, gets a fatal TLS alert in clear text and an orderly close:
 * {@code access_denied} when a rule, the gateway's own-host guard or the proxy's policy (403) refuses the
 * destination, {@code unrecognized_name} when there is no usable server name and so nowhere to send it,
 * {@code internal_error} when no proxy could carry it (errors, silence, no connection, our credentials refused).
 *
 * <p>A connection to a synthetic address (the DNS responder's) is routed by the name the table holds for it. On
 * a port of {@code dns.tls_ports} the ClientHello is peeked as usual and its SNI, when it has one, wins over the
 * table's name (the client's TLS will check the certificate for that name; the rules judge it like any other);
 * the two differing is noted. On other ports nothing is awaited: the tunnel is set up at once by the table's name,
 * because in protocols such as SSH or SMTP the server may speak first.
 */
public final class ClientConnection implements PeekListener {
    /** The largest ClientHello (TLS record headers included) the gateway waits for. */
    static final int MAX_HELLO_BYTES = 64 * 1024;
    /** A refusal's alert must be written within this, or the connection is reset instead. */
    static final long ALERT_WRITE_MILLIS = 1000;

    private final ListenerConfig listener;
    private final CompiledConfig compiled;
    private final Dialer dialer;
    private final LocalTargets localTargets;
    private final SyntheticTable synthetic;
    private final Channel client;
    private final ConnectionRecord record;
    private final InetSocketAddress dst;
    private Future<Channel> dial;
    private int peekedBytes;
    private int helloRecordVersion;
    private Channel upstream;
    /** The name the DNS table holds for a synthetic destination, or null. */
    private String dnsName;
    /** A plain HTTP listener's side of this connection; else null. */
    private HttpRoutes http;

    private ClientConnection(ListenerConfig listener, CompiledConfig compiled, Dialer dialer, LocalTargets localTargets,
                             SyntheticTable synthetic, SocketChannel client, ConnectionRecord.Observer observer) {
        this.listener = listener;
        this.compiled = compiled;
        this.dialer = dialer;
        this.localTargets = localTargets;
        this.synthetic = synthetic;
        this.client = client;
        this.record = new ConnectionRecord(client.remoteAddress(), listener.name(), observer);
        this.dst = switch (listener.transparent()) {
            case REDIRECT -> OriginalDestination.redirected(client);
            case TPROXY -> OriginalDestination.tproxied(client);
            default -> null;
        };
    }

    /**
     * Called for each accepted connection, from the listener's channel initializer. {@code synthetic}: the DNS
     * responder's table, or null when it is off.
     */
    public static ClientConnection accept(ListenerConfig listener, CompiledConfig compiled, Dialer dialer,
                                          LocalTargets localTargets, SyntheticTable synthetic, SocketChannel ch,
                                          ConnectionRecord.Observer observer) {
        ClientConnection c = new ClientConnection(listener, compiled, dialer, localTargets, synthetic, ch, observer);
        c.start();
        return c;
    }

    /** Closes both legs now, from any thread, with outcome {@code shutdown} (the drain time ran out). */
    public void shutdown(String why) {
        client.eventLoop().execute(() -> {
            record.fail(Outcome.SHUTDOWN, why);
            record.closing();
            if (dial != null && !dial.isDone()) {
                dial.cancel(false);
            }
            client.close();
            if (upstream != null) {
                upstream.close();
            }
        });
    }

    /**
     * The gateway is draining (from any thread): a plain HTTP connection takes no request after the one in flight,
     * and one waiting for a request ends now. A tunnel runs on until it ends or the drain time runs out.
     */
    public void draining() {
        client.eventLoop().execute(() -> {
            if (http != null) {
                http.draining();
            }
        });
    }

    private void start() {
        client.closeFuture().addListener(f -> clientClosed());
        if (dst != null) {
            record.dst(HostPort.of(dst).toString());
        }
        InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
        if (!compiled.policy().allowsClient(from.getAddress())) {
            record.fail(Outcome.DENIED_CLIENT, "client " + IpLiteral.format(from.getAddress())
                    + " is not in the configured client ranges");
            // a reset and no word: answering in TLS would mean reading and parsing a stranger's bytes first
            Closing.reset(client);
            return;
        }
        DnsConfig dns = compiled.config().dns();
        if (dst != null && synthetic != null && synthetic.isSynthetic(dst.getAddress())) {
            SyntheticTable.Lease lease = synthetic.lease(dst.getAddress());
            if (lease == null) {
                record.fail(Outcome.REJECTED, "synthetic address " + IpLiteral.format(dst.getAddress())
                        + " stands for no name in the DNS table (given out before the table was lost?)");
                Closing.reset(client);
                return;
            }
            client.closeFuture().addListener(f -> lease.close());
            dnsName = lease.name();
            if (!listener.http() && !(dns == null ? Set.of(443) : dns.tlsPorts()).contains(dst.getPort())) {
                client.config().setAutoRead(false); // whatever the client sends waits in the kernel for the relay
                record.name(dnsName, "dns");
                route(dnsName, List.of(), null);
                return;
            }
        }
        if (listener.http()) {
            http = new HttpRoutes(client, record, listener, compiled, localTargets, dst, dnsName, this::connect);
            http.start(dialer, from.getAddress());
            return;
        }
        client.pipeline().addLast(PeekHandler.NAME, new PeekHandler(MAX_HELLO_BYTES,
                compiled.config().timeouts().clientHello().toMillis(), this));
    }

    @Override
    public void onFailure(Channel ch, PeekFailure failure, String reason, int bytesRead) {
        record.addHelloBytes(bytesRead);
        Outcome outcome = switch (failure) {
            case TIMEOUT -> Outcome.HELLO_TIMEOUT;
            case RESET -> Outcome.RESET;
            default -> Outcome.BAD_HELLO;
        };
        record.fail(outcome, reason);
        Closing.reset(client);
    }

    @Override
    public void onHello(Channel ch, Hello hello, PeekHandler peek) {
        record.hello(hello.sni(), hello.alpn());
        peekedBytes = peek.bytesRead();
        helloRecordVersion = hello.recordVersion();
        // RFC 6066 forbids address literals in SNI: one ("127.0.0.1.", "127.1" too) routes as a hello without a name
        String sni = hello.sni() != null && IpLiteral.isAddress(hello.sni()) ? null : hello.sni();
        if (sni != null && dnsName != null && !HostName.normalize(sni).equals(dnsName)) {
            record.note("the SNI differs from " + dnsName + ", the name of synthetic address "
                    + IpLiteral.format(dst.getAddress()) + ": routed by the SNI");
        }
        if (sni != null) {
            record.name(sni, "sni");
        } else if (dnsName != null) {
            sni = dnsName;
            record.name(dnsName, "dns");
        }
        route(sni, hello.alpn(), peek);
    }

    /** Decides and dials for {@code name} (null: none); {@code peek} holds the hello, or null when none is read. */
    private void route(String name, List<String> alpn, PeekHandler peek) {
        InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
        int port = dst != null ? dst.getPort() : listener.defaultPort();
        String sni = name;
        Flow flow = new Flow(from.getAddress(), dst, port, sni, alpn, listener.name());
        Decision d = compiled.policy().decide(flow);
        record.route(d.rule() == null ? null : d.ruleName(), d.action().label(), d.upstream(), d.target());
        if (d.action() == Action.REJECT) {
            refuse(peek, d.rule() == null ? "no rule matched" : "rule '" + d.ruleName() + "' rejects",
                    TlsAlert.ACCESS_DENIED);
            return;
        }
        if (d.host() == null) {
            refuse(peek, "no server name and no original destination: nowhere to send it",
                    TlsAlert.UNRECOGNIZED_NAME);
            return;
        }
        String local = localTargets.refusal(flow, d);
        if (local != null) {
            refuse(peek, local, TlsAlert.ACCESS_DENIED);
            return;
        }
        connect(d, sni, peek);
    }

    /**
     * Dials for decision {@code d} (a tunnel through a proxy, or direct) for the connection routed by {@code name}
     * (null: none), then relays, replaying what {@code held} holds (null: nothing read).
     */
    private void connect(Decision d, String name, HeldBytes held) {
        InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
        long timeout = compiled.config().timeouts().connect().toMillis();
        if (d.action() == Action.SPLICE) {
            Upstream up = compiled.upstreams().get(d.upstream());
            Upstream.Candidates candidates = up.candidates();
            if (candidates.allDown()) {
                record.note("every proxy of upstream " + up.name() + " is out of service; tried anyway");
            }
            dial = dialer.throughProxy(client.eventLoop(), up, candidates, d.host(), d.port(), timeout,
                    from.getAddress(), new RecordedDial(record));
        } else if (dnsName != null && name != null) {
            // a synthetic destination stands for its name: resolved here, never to a synthetic address again
            Function<InetSocketAddress, String> ownHost = localTargets.whenResolved(d.rule());
            dial = dialer.direct(client.eventLoop(), d.host(), d.port(), timeout, record::attempt,
                    a -> synthetic.isSynthetic(a.getAddress()) ? "refused: " + HostPort.of(a)
                            + " is a synthetic address (does this host ask its own DNS responder?)" : ownHost.apply(a));
        } else if (dst != null) {
            // where the client was going, never elsewhere by a name it chose (checked above)
            dial = dialer.direct(client.eventLoop(), IpLiteral.format(dst.getAddress()), dst.getPort(), timeout,
                    record::attempt, a -> null);
        } else {
            // what the name resolves to is known only now
            dial = dialer.direct(client.eventLoop(), d.host(), d.port(), timeout, record::attempt,
                    localTargets.whenResolved(d.rule()));
        }
        dial.addListener(f -> dialed(held));
    }

    private void refuse(HeldBytes peek, String why, TlsAlert alert) {
        record.addHelloBytes(peek == null ? 0 : peek.bytesRead());
        record.fail(Outcome.REJECTED, why);
        tell(alert);
    }

    /**
     * Ends a refused connection with {@code alert} and an orderly close, but only while the peek still holds the
     * hello: once it has handed its bytes to a relay, the client's TLS session runs end to end and an alert from
     * us would be garbage in it, so the connection is reset instead.
     */
    private void tell(TlsAlert alert) {
        if (client.pipeline().get(PeekHandler.NAME) == null) {
            Closing.reset(client);
            return;
        }
        Closing.afterWriting(client, Unpooled.wrappedBuffer(alert.record(helloRecordVersion)), ALERT_WRITE_MILLIS);
    }

    private void dialed(HeldBytes peek) {
        if (dial.isCancelled()) {
            return;
        }
        if (!dial.isSuccess()) {
            record.addHelloBytes(peek == null ? 0 : peek.bytesRead());
            DialException e = dial.cause() instanceof DialException de ? de
                    : new DialException(DialException.Kind.CONNECT, String.valueOf(dial.cause()));
            record.fail(Outcome.of(e.kind()), e.getMessage());
            boolean denied = e.kind() == DialException.Kind.DENIED || e.kind() == DialException.Kind.REFUSED;
            if (http != null) {
                http.answer(denied ? 403 : HttpAnswers.forUpstreamFailure(e.getMessage()), "could not reach "
                        + record.target() + ": " + e.getMessage());
                return;
            }
            // a policy said no (the proxy's 403, our own-host guard): access denied; otherwise no proxy could
            // carry it, for reasons that are not the client's
            tell(denied ? TlsAlert.ACCESS_DENIED : TlsAlert.INTERNAL_ERROR);
            return;
        }
        upstream = dial.getNow();
        upstream.closeFuture().addListener(f -> endIfClosed());
        if (!client.isActive()) {
            record.fail(Outcome.RESET, "client closed before the tunnel was up");
            upstream.close();
            return;
        }
        ByteBuf held = peek == null ? Unpooled.EMPTY_BUFFER : peek.release();
        Relay.join(new ClientLeg(client, held, peek != null && peek.inputShutdown()),
                new UpstreamLeg(upstream, Dialer::handOver), compiled.config().timeouts().idle().toMillis(),
                new RecordedRelay(record));
    }

    private void clientClosed() {
        if (http != null) {
            http.clientClosed(); // its request's line before the connection's
        }
        if (dial != null && !dial.isDone()) {
            record.addHelloBytes(peekedBytes);
            record.fail(Outcome.RESET, "client closed before the tunnel was up");
            dial.cancel(false);
        }
        endIfClosed();
    }

    private void endIfClosed() {
        if (!client.isOpen() && (upstream == null || !upstream.isOpen())) {
            record.end();
        }
    }
}
