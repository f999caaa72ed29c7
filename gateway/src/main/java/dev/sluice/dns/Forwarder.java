package dev.sluice.dns;

import dev.sluice.io.Transport;
import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends questions no rule claims to the company's resolvers and hands their answers back unchanged but for the
 * ID. Over UDP each question gets a fresh random ID (the client's is put back in the answer); an answer is taken
 * only from the resolver asked, for an ID still waiting. A resolver that does not answer in {@link #TRY_MILLIS}
 * makes way for the next; when each was tried once the question fails. A question that came over TCP is asked
 * over TCP (one connection each), so a truncated UDP answer's retry gets the whole answer. The responder bounds
 * how many wait ({@link #waiting}). Runs on the responder's event loop.
 */
final class Forwarder implements AutoCloseable {
    static final long TRY_MILLIS = 2000;

    /** What becomes of one forwarded question. */
    interface Reply {
        /** The resolver's answer (the caller releases it), ID as the client sent it. */
        void answer(ByteBuf message);

        /** No resolver answered (or none could be asked): {@code why}. */
        void failed(String why);
    }

    private final EventLoop loop;
    private final Transport transport;
    private final Consumer<String> garbage;
    private final SecureRandom random = new SecureRandom();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final Map<Boolean, DatagramChannel> sockets = new ConcurrentHashMap<>(); // by "is IPv4"
    private int tcpOpen;

    private final class Pending {
        final int clientId;
        final ByteBuf query;
        final List<InetSocketAddress> resolvers;
        final Reply reply;
        int tried;
        int id;
        ScheduledFuture<?> timeout;

        Pending(ByteBuf query, List<InetSocketAddress> resolvers, Reply reply) {
            this.clientId = DnsMessages.id(query);
            this.query = query;
            this.resolvers = resolvers;
            this.reply = reply;
        }
    }

    /** {@code garbage}: told (with a printable reason) of each datagram from a resolver that is no answer. */
    Forwarder(EventLoop loop, Transport transport, Consumer<String> garbage) {
        this.loop = loop;
        this.transport = transport;
        this.garbage = garbage;
    }

    /** Questions waiting for an answer. */
    int waiting() {
        return pending.size() + tcpOpen;
    }

    /** Forwards {@code query} (taken over: released here) over UDP. */
    void udp(ByteBuf query, List<InetSocketAddress> resolvers, Reply reply) {
        send(new Pending(query, resolvers, reply));
    }

    private void send(Pending p) {
        InetSocketAddress to = p.resolvers.get(p.tried);
        DatagramChannel socket = socket(to.getAddress());
        if (socket == null) {
            next(p, "no UDP socket for " + HostPort.of(to));
            return;
        }
        int id;
        do {
            id = random.nextInt(1 << 16);
        } while (pending.containsKey(id));
        p.id = id;
        pending.put(id, p);
        ByteBuf out = p.query.retainedDuplicate();
        out.setShort(out.readerIndex(), id);
        socket.writeAndFlush(new DatagramPacket(out, to));
        p.timeout = loop.schedule(() -> {
            if (pending.remove(p.id, p)) {
                next(p, "no answer from " + HostPort.of(to) + " in " + TRY_MILLIS + " ms");
            }
        }, TRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void next(Pending p, String why) {
        p.tried++;
        if (p.tried < p.resolvers.size()) {
            send(p);
        } else {
            p.query.release();
            p.reply.failed(why);
        }
    }

    /**
     * Binds the UDP sockets questions leave from, an IPv4 and an IPv6 one (a host without IPv6 has only the
     * first); blocks, so call it off the loop, before the first question.
     */
    void open() {
        for (boolean v4 : new boolean[] {true, false}) {
            InetAddress any = IpLiteral.parse(v4 ? "0.0.0.0" : "::");
            ChannelFuture bound = new Bootstrap().group(loop).channelFactory(transport.datagramChannels(any))
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                            received(packet);
                        }
                    }).bind(new InetSocketAddress(any, 0)).awaitUninterruptibly();
            if (bound.isSuccess()) {
                sockets.put(v4, (DatagramChannel) bound.channel());
            }
        }
    }

    private DatagramChannel socket(InetAddress to) {
        return sockets.get(to instanceof Inet4Address);
    }

    private void received(DatagramPacket packet) {
        ByteBuf m = packet.content();
        if (m.readableBytes() < DnsMessages.HEADER || !DnsMessages.isResponse(m)) {
            garbage.accept(m.readableBytes() + " bytes from " + HostPort.of(packet.sender()) + " that are no answer");
            return;
        }
        Pending p = pending.get(DnsMessages.id(m));
        if (p == null || !p.resolvers.get(p.tried).equals(packet.sender())) {
            garbage.accept("an answer from " + HostPort.of(packet.sender()) + " to no question waiting for it");
            return;
        }
        pending.remove(p.id);
        p.timeout.cancel(false);
        p.query.release();
        ByteBuf answer = m.retainedDuplicate();
        answer.setShort(answer.readerIndex(), p.clientId);
        p.reply.answer(answer);
    }

    /** Forwards {@code query} (taken over) over TCP, to each resolver in turn until one answers. */
    void tcp(ByteBuf query, List<InetSocketAddress> resolvers, Reply reply) {
        tcpOpen++;
        tcpTry(query, resolvers, 0, new Reply() {
            @Override
            public void answer(ByteBuf message) {
                tcpOpen--;
                reply.answer(message);
            }

            @Override
            public void failed(String why) {
                tcpOpen--;
                reply.failed(why);
            }
        });
    }

    private void tcpTry(ByteBuf query, List<InetSocketAddress> resolvers, int index, Reply reply) {
        InetSocketAddress to = resolvers.get(index);
        boolean[] done = {false};
        Reply once = new Reply() {
            @Override
            public void answer(ByteBuf message) {
                if (!done[0]) {
                    done[0] = true;
                    query.release();
                    reply.answer(message);
                } else {
                    message.release();
                }
            }

            @Override
            public void failed(String why) {
                if (done[0]) {
                    return;
                }
                done[0] = true;
                if (index + 1 < resolvers.size()) {
                    tcpTry(query, resolvers, index + 1, reply);
                } else {
                    query.release();
                    reply.failed(why);
                }
            }
        };
        ChannelFuture connect = new Bootstrap().group(loop).channelFactory(transport.socketChannels())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) TRY_MILLIS)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                                new SimpleChannelInboundHandler<ByteBuf>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                                        once.answer(frame.retain());
                                        ctx.close();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        once.failed("TCP to " + HostPort.of(to) + " closed without an answer");
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                }).connect(to);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                once.failed("TCP to " + HostPort.of(to) + ": " + f.cause().getMessage());
                return;
            }
            Channel ch = connect.channel();
            ByteBuf framed = ch.alloc().buffer(2 + query.readableBytes());
            framed.writeShort(query.readableBytes()).writeBytes(query, query.readerIndex(), query.readableBytes());
            ch.writeAndFlush(framed);
            ScheduledFuture<?> t = loop.schedule(() -> {
                once.failed("no answer over TCP from " + HostPort.of(to) + " in " + TRY_MILLIS + " ms");
                ch.close();
            }, TRY_MILLIS, TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(c -> t.cancel(false));
        });
    }

    @Override
    public void close() {
        sockets.values().forEach(Channel::close);
        for (Pending p : pending.values()) {
            p.timeout.cancel(false);
            p.query.release();
        }
        pending.clear();
    }
}
