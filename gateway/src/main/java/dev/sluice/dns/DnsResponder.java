package dev.sluice.dns;

import dev.sluice.config.DnsConfig;
import dev.sluice.io.Transport;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import dev.sluice.net.NativeErrors;
import dev.sluice.policy.NameClaim;
import dev.sluice.policy.Policy;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS responder: UDP and TCP on each {@code dns.listen} address, on an event loop of its own (a flood of
 * questions costs the tunnels nothing). For a name a splice or direct rule routes for the asking client, A and
 * AAAA are answered from the synthetic table and every other type with no data (so an HTTPS record cannot hand the
 * client an ECH configuration that would hide the server name); every other name is forwarded ({@link Forwarder}).
 * Only clients in {@code clients} are answered, each at most {@code dns.limits.client_qps} questions a second.
 */
public final class DnsResponder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsResponder.class);
    /** TCP connections at once, and how long one may sit without a question. */
    static final int MAX_TCP = 256;
    static final int TCP_IDLE_SECONDS = 10;

    /** What a question is judged by: the configuration in force now. */
    public record Live(Policy policy, DnsConfig dns) {
    }

    private final DnsConfig config;
    private final Transport transport;
    private final SyntheticTable table;
    private final Supplier<Live> live;
    private final DnsEvents events;
    private final EventLoopGroup group;
    private final Forwarder forwarder;
    private final ClientRates rates = new ClientRates();
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private int tcpOpen;

    public DnsResponder(DnsConfig config, Transport transport, SyntheticTable table, Supplier<Live> live,
                        DnsEvents events) {
        this.config = config;
        this.transport = transport;
        this.table = table;
        this.live = live;
        this.events = events;
        this.group = transport.newGroup(1, "sluice-dns");
        this.forwarder = new Forwarder(group.next(), transport,
                why -> events.problem(DnsEvents.Problem.RESOLVER_GARBAGE, why));
    }

    /** Binds UDP and TCP on every address; blocks. On failure nothing stays bound. */
    public DnsResponder bind() throws IOException {
        forwarder.open();
        // in a pair, dns.listen is the virtual address, which this box may not hold yet (the other one does)
        boolean freebind = config.pair() != null && transport.isEpoll();
        if (config.pair() != null && !freebind) {
            LOG.warn("dns: IP_FREEBIND needs the epoll transport; without it the DNS listeners bind only an address "
                    + "this box holds (set net.ipv4.ip_nonlocal_bind=1 to bind the virtual one)");
        }
        for (HostPort hp : config.listen()) {
            InetAddress ip = IpLiteral.parse(hp.host());
            InetSocketAddress at = new InetSocketAddress(ip, hp.port());
            Bootstrap udpBoot = new Bootstrap().group(group).channelFactory(transport.datagramChannels(ip))
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                            udp(ctx.channel(), packet);
                        }
                    });
            if (freebind) {
                udpBoot.option(EpollChannelOption.IP_FREEBIND, true);
            }
            ChannelFuture udp = udpBoot.bind(at).awaitUninterruptibly();
            failIfNot(udp, "udp", hp);
            channels.add(udp.channel());
            ServerBootstrap tcpBoot = new ServerBootstrap().group(group, group)
                    .channelFactory(transport.serverChannels(ip)).option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            tcpAccepted(ch);
                        }
                    });
            if (freebind) {
                tcpBoot.option(EpollChannelOption.IP_FREEBIND, true);
            }
            ChannelFuture tcp = tcpBoot.bind(at).awaitUninterruptibly();
            failIfNot(tcp, "tcp", hp);
            channels.add(tcp.channel());
            LOG.info("dns responder listening on {} (udp, tcp{}); synthetic {} and {}, {} names at most", hp,
                    freebind ? ", IP_FREEBIND" : "", config.ipv4(), config.ipv6(), table.capacity());
        }
        return this;
    }

    private void failIfNot(ChannelFuture f, String what, HostPort at) throws IOException {
        if (!f.isSuccess()) {
            close();
            throw new IOException("dns: cannot bind " + what + " " + at + ": "
                    + NativeErrors.strip(String.valueOf(f.cause().getMessage())), f.cause());
        }
    }

    private void udp(Channel ch, DatagramPacket packet) {
        InetSocketAddress client = packet.sender();
        question(packet.content(), client, false,
                answer -> ch.writeAndFlush(new DatagramPacket(answer, client)));
    }

    private void tcpAccepted(SocketChannel ch) {
        if (tcpOpen >= MAX_TCP) {
            ch.close();
            return;
        }
        tcpOpen++;
        ch.closeFuture().addListener(f -> tcpOpen--);
        ch.pipeline().addLast(new ReadTimeoutHandler(TCP_IDLE_SECONDS, TimeUnit.SECONDS),
                new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                new SimpleChannelInboundHandler<ByteBuf>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                        question(frame, ch.remoteAddress(), true, answer -> {
                            ByteBuf len = ctx.alloc().buffer(2).writeShort(answer.readableBytes());
                            ctx.write(len);
                            ctx.writeAndFlush(answer);
                        });
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close(); // a read timeout, a reset, a frame over 64 KiB
                    }
                });
    }

    /** One question, from {@code client}; {@code send} takes each answer (and releases it). */
    private void question(ByteBuf m, InetSocketAddress client, boolean tcp, Consumer<ByteBuf> send) {
        if (m.readableBytes() < DnsMessages.HEADER) {
            events.answered(DnsEvents.Answer.FORMERR);
            events.problem(DnsEvents.Problem.MALFORMED, m.readableBytes() + " bytes from "
                    + HostPort.of(client) + ": no DNS header, no answer");
            return;
        }
        if (DnsMessages.isResponse(m)) {
            return; // an answer sent to us: answering it could start a loop between two servers
        }
        Live now = live.get();
        InetAddress from = client.getAddress();
        if (!now.policy().allowsClient(from)) {
            refuse(m, send, DnsEvents.Answer.REFUSED, DnsEvents.Problem.NOT_A_CLIENT, HostPort.of(client)
                    + " is not in the configured client ranges");
            return;
        }
        if (!rates.allow(from, System.nanoTime(), now.dns().clientQps())) {
            refuse(m, send, DnsEvents.Answer.RATELIMITED, DnsEvents.Problem.RATE_LIMITED, IpLiteral.format(from)
                    + " asks more than " + now.dns().clientQps() + " questions a second");
            return;
        }
        DnsMessages.Question q;
        try {
            q = DnsMessages.parse(m);
        } catch (DnsMessages.Malformed e) {
            send.accept(DnsMessages.bare(m.alloc(), m, e.rcode()));
            events.answered(e.rcode() == DnsMessages.NOTIMP ? DnsEvents.Answer.NOTIMP : DnsEvents.Answer.FORMERR);
            events.problem(DnsEvents.Problem.MALFORMED, "from " + HostPort.of(client) + ": " + e.getMessage());
            return;
        }
        String name = q.hostName();
        NameClaim claim = name == null ? NameClaim.UNCLAIMED : now.policy().claim(from, name);
        if (claim == NameClaim.ROUTED) {
            synthetic(q, name, now.dns(), m, send);
        } else if (claim == NameClaim.REJECTED && now.dns().nxdomain()) {
            send.accept(DnsMessages.answer(m.alloc(), q, DnsMessages.NXDOMAIN, List.of(), 0));
            events.answered(DnsEvents.Answer.NXDOMAIN);
        } else {
            forward(q, m, client, tcp, now.dns(), send);
        }
    }

    private void synthetic(DnsMessages.Question q, String name, DnsConfig dns, ByteBuf m, Consumer<ByteBuf> send) {
        boolean a = q.type() == 1;
        boolean aaaa = q.type() == 28;
        if (!a && !aaaa) {
            send.accept(DnsMessages.answer(m.alloc(), q, DnsMessages.NOERROR, List.of(), 0));
            events.answered(DnsEvents.Answer.NODATA);
            return;
        }
        long ttl = dns.ttl().toSeconds();
        int slot = table.assign(name, dns.ttl().toMillis());
        if (slot < 0) {
            send.accept(DnsMessages.answer(m.alloc(), q, DnsMessages.SERVFAIL, List.of(), 0));
            events.answered(DnsEvents.Answer.SERVFAIL);
            events.problem(DnsEvents.Problem.TABLE_FULL, table.size() + " names, each answered within its TTL "
                    + "or used by a connection; '" + name + "' refused");
            return;
        }
        send.accept(DnsMessages.answer(m.alloc(), q, DnsMessages.NOERROR, List.of(table.address(slot, aaaa)), ttl));
        events.answered(DnsEvents.Answer.SYNTHETIC);
    }

    private void forward(DnsMessages.Question q, ByteBuf m, InetSocketAddress client, boolean tcp, DnsConfig dns,
                         Consumer<ByteBuf> send) {
        ByteBufAllocator alloc = m.alloc(); // m is released when the answer comes
        List<InetSocketAddress> resolvers = new ArrayList<>(dns.forward().size());
        for (HostPort hp : dns.forward()) {
            resolvers.add(new InetSocketAddress(IpLiteral.parse(hp.host()), hp.port()));
        }
        Forwarder.Reply reply = new Forwarder.Reply() {
            @Override
            public void answer(ByteBuf message) {
                send.accept(message);
                events.answered(DnsEvents.Answer.FORWARDED);
            }

            @Override
            public void failed(String why) {
                send.accept(DnsMessages.answer(alloc, q, DnsMessages.SERVFAIL, List.of(), 0));
                events.answered(DnsEvents.Answer.SERVFAIL);
                events.problem(DnsEvents.Problem.FORWARD_FAILED, q.typeName() + " " + printable(q.name())
                        + " for " + HostPort.of(client) + ": " + why);
            }
        };
        if (forwarder.waiting() >= dns.maxForwards()) {
            reply.failed(dns.maxForwards() + " questions already wait for the resolvers (dns.limits.forwards)");
        } else if (tcp) {
            forwarder.tcp(m.retainedDuplicate(), resolvers, reply);
        } else {
            forwarder.udp(m.retainedDuplicate(), resolvers, reply);
        }
    }

    private void refuse(ByteBuf m, Consumer<ByteBuf> send, DnsEvents.Answer answer, DnsEvents.Problem problem,
                        String detail) {
        send.accept(DnsMessages.bare(m.alloc(), m, DnsMessages.REFUSED));
        events.answered(answer);
        events.problem(problem, detail);
    }

    private static String printable(String name) {
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return dev.sluice.config.Printable.of(b, 0, b.length, 80);
    }

    /** The table (for the keeper that saves it, and for the connections that read it). */
    public SyntheticTable table() {
        return table;
    }

    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.submit(forwarder::close).awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
