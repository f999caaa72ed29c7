package dev.sluice.observe.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the service is doing ({@code Type=notify}): READY, RELOADING, STOPPING, STATUS and watchdog
 * pings, as datagrams to {@code NOTIFY_SOCKET}, sent from Java on Netty's epoll domain-datagram channel (no
 * shell-out, no JNI of our own). Without NOTIFY_SOCKET (not under systemd) every call does nothing.
 */
public final class Systemd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Systemd.class);

    private final DomainSocketAddress socket;
    private final Channel channel;
    private final EventLoopGroup ownGroup;
    private ScheduledFuture<?> watchdog;

    private Systemd(DomainSocketAddress socket, Channel channel, EventLoopGroup ownGroup) {
        this.socket = socket;
        this.channel = channel;
        this.ownGroup = ownGroup;
    }

    /**
     * From {@code NOTIFY_SOCKET}, on an event loop of its own (so it outlives the gateway's loops at shutdown);
     * a no-op when not under systemd. {@link #watch} starts the watchdog.
     */
    public static Systemd fromEnvironment() {
        String path = System.getenv("NOTIFY_SOCKET");
        if (path == null || path.isEmpty() || !Epoll.isAvailable()) {
            if (path != null && !path.isEmpty()) {
                LOG.warn("NOTIFY_SOCKET is set but the epoll transport is not available: no notifications");
            }
            return new Systemd(null, null, null);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sluice-systemd", true),
                EpollIoHandler.newFactory());
        return connect(group, path, group);
    }

    /** Notifications to the socket at {@code path} ({@code @name} is the abstract namespace). */
    public static Systemd connect(EventLoopGroup group, String path) {
        return connect(group, path, null);
    }

    private static Systemd connect(EventLoopGroup group, String path, EventLoopGroup ownGroup) {
        String address = path.startsWith("@") ? "\0" + path.substring(1) : path;
        Channel ch = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true)
                .handler(new ChannelInboundHandlerAdapter())
                .register().syncUninterruptibly().channel();
        return new Systemd(new DomainSocketAddress(address), ch, ownGroup);
    }

    /**
     * Starts the watchdog when systemd asked for one ({@code WATCHDOG_USEC}, for this process): every half period
     * a no-op task goes to each of {@code loops}, and WATCHDOG=1 is sent only once all of them have run it, so a
     * stuck event loop stops the pings and systemd restarts the service.
     */
    public void watch(EventLoopGroup loops) {
        String usec = System.getenv("WATCHDOG_USEC");
        String pid = System.getenv("WATCHDOG_PID");
        if (channel == null || usec == null
                || (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            return;
        }
        long every;
        try {
            every = Math.max(1000, Long.parseLong(usec) / 2);
        } catch (NumberFormatException e) {
            LOG.warn("ignoring WATCHDOG_USEC={}: not a number", usec);
            return;
        }
        watchdog = channel.eventLoop().scheduleAtFixedRate(() -> pingIfAlive(loops), every, every,
                TimeUnit.MICROSECONDS);
        LOG.info("systemd watchdog: pinging every {} ms while every event loop answers", every / 1000);
    }

    private void pingIfAlive(EventLoopGroup loops) {
        List<EventExecutor> all = new ArrayList<>();
        loops.forEach(all::add);
        AtomicInteger waiting = new AtomicInteger(all.size());
        for (EventExecutor loop : all) {
            loop.execute(() -> {
                if (waiting.decrementAndGet() == 0) {
                    send("WATCHDOG=1");
                }
            });
        }
    }

    public boolean active() {
        return channel != null;
    }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + status);
    }

    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    /** Sent and flushed before returning: the process is about to go away. */
    public void stopping() {
        ChannelFuture f = send("STOPPING=1");
        if (f != null) {
            f.awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
    }

    public void status(String status) {
        send("STATUS=" + status);
    }

    private ChannelFuture send(String message) {
        if (channel == null) {
            return null;
        }
        // one datagram, one non-composite buffer
        return channel.writeAndFlush(new DomainDatagramPacket(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8),
                socket)).addListener(f -> {
                    if (!f.isSuccess()) {
                        LOG.warn("sd_notify {} failed: {}", message.lines().findFirst().orElse(""),
                                f.cause().getMessage());
                    }
                });
    }

    @Override
    public void close() {
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        if (channel != null) {
            channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
