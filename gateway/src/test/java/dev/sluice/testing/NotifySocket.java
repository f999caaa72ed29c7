package dev.sluice.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Plays systemd's side of NOTIFY_SOCKET: a unix datagram socket that records every message. */
public final class NotifySocket implements AutoCloseable {
    public final List<String> messages = new CopyOnWriteArrayList<>();
    /** The messages other than watchdog pings. */
    public final List<String> states = new CopyOnWriteArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Channel channel;
    public final Path path;

    public NotifySocket(Path path) {
        this(path, path.toString());
    }

    private NotifySocket(Path path, String address) {
        this.path = path;
        channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket msg) {
                        String m = msg.content().toString(StandardCharsets.UTF_8);
                        messages.add(m);
                        if (!m.equals("WATCHDOG=1")) {
                            states.add(m);
                        }
                    }
                })
                .bind(new DomainSocketAddress(address)).syncUninterruptibly().channel();
    }

    /**
     * A socket in the abstract namespace, as systemd's {@code NOTIFY_SOCKET=@name} names it; {@link #path} is then
     * null.
     */
    public static NotifySocket abstractName(String name) {
        return new NotifySocket(null, "\0" + name);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully();
    }
}
