package dev.sluice.io;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetAddress;

/** The I/O transport: native epoll on Linux, NIO elsewhere (or when the native library cannot load). */
public final class Transport {
    private final boolean epoll;

    private Transport(boolean epoll) {
        this.epoll = epoll;
    }

    /** The transport of this JVM, decided once (the first call loads the native library or learns why not). */
    public static Transport detect() {
        return Detected.TRANSPORT;
    }

    /** Initialised on first use, once, by the JVM's class initialisation. */
    private static final class Detected {
        static final Transport TRANSPORT = new Transport(Epoll.isAvailable() && !Boolean.getBoolean("sluice.nio"));
    }

    public String name() {
        return epoll ? "epoll" : "nio";
    }

    public boolean isEpoll() {
        return epoll;
    }

    /** Why epoll is not used, for the start-up log; null when it is. */
    public String whyNotEpoll() {
        if (epoll) {
            return null;
        }
        Throwable cause = Epoll.unavailabilityCause();
        return cause == null ? "disabled by -Dsluice.nio=true" : cause.toString();
    }

    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory io = epoll ? new EpollRegistrationFix(EpollIoHandler.newFactory()) : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, false), io);
    }

    /**
     * Listening sockets of the address's own family: an IPv4 listen address gets an IPv4 socket (not a dual-stack
     * one), so that {@code 0.0.0.0} means IPv4 only and SO_ORIGINAL_DST is read at the IPv4 level.
     */
    public ChannelFactory<? extends ServerChannel> serverChannels(InetAddress listen) {
        if (!epoll) {
            return new ReflectiveChannelFactory<>(NioServerSocketChannel.class);
        }
        SocketProtocolFamily family = listen instanceof Inet4Address ? SocketProtocolFamily.INET
                : SocketProtocolFamily.INET6;
        return () -> new EpollServerSocketChannel(family);
    }

    public ChannelFactory<? extends Channel> socketChannels() {
        return epoll ? new ReflectiveChannelFactory<>(EpollSocketChannel.class)
                : new ReflectiveChannelFactory<>(NioSocketChannel.class);
    }

    /** UDP sockets of the address's own family (as {@link #serverChannels}). */
    public ChannelFactory<? extends DatagramChannel> datagramChannels(InetAddress address) {
        SocketProtocolFamily family = address instanceof Inet4Address ? SocketProtocolFamily.INET
                : SocketProtocolFamily.INET6;
        return epoll ? () -> new EpollDatagramChannel(family) : () -> new NioDatagramChannel(family);
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }
}
