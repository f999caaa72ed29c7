package dev.sluice.session;

import dev.sluice.config.Action;
import dev.sluice.config.AuthScheme;
import dev.sluice.config.ListenerConfig;
import dev.sluice.inbound.Hello;
import dev.sluice.inbound.OriginalDestination;
import dev.sluice.inbound.PeekFailure;
import dev.sluice.inbound.PeekHandler;
import dev.sluice.inbound.PeekListener;
import dev.sluice.inbound.TlsAlert;
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
import dev.sluice.upstream.DialObserver;
import dev.sluice.upstream.Dialer;
import dev.sluice.upstream.Upstream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

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
    private final Channel client;
    private final ConnectionRecord record;
    private final InetSocketAddress dst;
    private Future<Channel> dial;
    private int peekedBytes;
    private int helloRecordVersion;
    private Channel upstream;

    private ClientConnection(ListenerConfig listener, CompiledConfig compiled, Dialer dialer, LocalTargets localTargets,
                             SocketChannel client, ConnectionRecord.Observer observer) {
        this.listener = listener;
        this.compiled = compiled;
        this.dialer = dialer;
        this.localTargets = localTargets;
        this.client = client;
        this.record = new ConnectionRecord(client.remoteAddress(), listener.name(), observer);
        this.dst = switch (listener.transparent()) {
            case REDIRECT -> OriginalDestination.redirected(client);
            case TPROXY -> OriginalDestination.tproxied(client);
            default -> null;
        };
    }

    /** Called for each accepted connection, from the listener's channel initializer. */
    public static ClientConnection accept(ListenerConfig listener, CompiledConfig compiled, Dialer dialer,
                                   LocalTargets localTargets, SocketChannel ch, ConnectionRecord.Observer observer) {
        ClientConnection c = new ClientConnection(listener, compiled, dialer, localTargets, ch, observer);
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
        InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
        int port = dst != null ? dst.getPort() : listener.defaultPort();
        // RFC 6066 forbids address literals in SNI: one ("127.0.0.1.", "127.1" too) routes as a hello without a name
        String sni = hello.sni() != null && IpLiteral.isAddress(hello.sni()) ? null : hello.sni();
        Flow flow = new Flow(from.getAddress(), dst, port, sni, hello.alpn(), listener.name());
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
        long timeout = compiled.config().timeouts().connect().toMillis();
        if (d.action() == Action.SPLICE) {
            Upstream up = compiled.upstreams().get(d.upstream());
            Upstream.Candidates candidates = up.candidates();
            if (candidates.allDown()) {
                record.note("every proxy of upstream " + up.name() + " is out of service; tried anyway");
            }
            dial = dialer.throughProxy(client.eventLoop(), up, candidates, d.host(), d.port(), timeout, from.getAddress(),
                    new DialObserver() {
                        @Override
                        public void attempt(String via, String error, long millis) {
                            record.attempt(via, error, millis);
                        }

                        @Override
                        public void scheme(AuthScheme scheme) {
                            record.auth(scheme.label());
                        }

                        @Override
                        public void note(String note) {
                            record.note(note);
                        }
                    });
        } else if (dst != null) {
            // where the client was going, never elsewhere by a name it chose (checked above)
            dial = dialer.direct(client.eventLoop(), IpLiteral.format(dst.getAddress()), dst.getPort(), timeout,
                    record::attempt, a -> null);
        } else {
            // what the name resolves to is known only now
            dial = dialer.direct(client.eventLoop(), d.host(), d.port(), timeout, record::attempt,
                    localTargets.whenResolved(d.rule()));
        }
        dial.addListener(f -> dialed(peek));
    }

    private void refuse(PeekHandler peek, String why, TlsAlert alert) {
        record.addHelloBytes(peek.bytesRead());
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

    private void dialed(PeekHandler peek) {
        if (dial.isCancelled()) {
            return;
        }
        if (!dial.isSuccess()) {
            record.addHelloBytes(peek.bytesRead());
            DialException e = dial.cause() instanceof DialException de ? de
                    : new DialException(DialException.Kind.CONNECT, String.valueOf(dial.cause()));
            record.fail(switch (e.kind()) {
                case PROXY -> Outcome.PROXY_ERROR;
                case DENIED -> Outcome.PROXY_DENIED;
                case AUTH -> Outcome.PROXY_AUTH_FAILED;
                case REFUSED -> Outcome.REJECTED;
                case CONNECT, LOCAL -> Outcome.CONNECT_ERROR;
            }, e.getMessage());
            // a policy said no (the proxy's 403, our own-host guard): access denied; otherwise no proxy could
            // carry it, for reasons that are not the client's
            tell(e.kind() == DialException.Kind.DENIED || e.kind() == DialException.Kind.REFUSED
                    ? TlsAlert.ACCESS_DENIED : TlsAlert.INTERNAL_ERROR);
            return;
        }
        upstream = dial.getNow();
        upstream.closeFuture().addListener(f -> endIfClosed());
        if (!client.isActive()) {
            record.fail(Outcome.RESET, "client closed before the tunnel was up");
            upstream.close();
            return;
        }
        Relay.join(new ClientLeg(client, peek.release(), peek.inputShutdown()),
                new UpstreamLeg(upstream, Dialer::handOver), compiled.config().timeouts().idle().toMillis(),
                new RecordedRelay(record));
    }

    private void clientClosed() {
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
