package dev.sluice.io;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Works around a Netty 4.2.18 epoll defect that breaks TCP half-close: when a channel's interest set becomes empty
 * (after a FIN its EPOLLIN and EPOLLRDHUP are cleared, and no write is waiting), {@code EpollIoHandler} removes the
 * fd from epoll but keeps the registration marked as added; the next {@code epoll_ctl(MOD)} (a write that must wait
 * for EPOLLOUT, or reading resumed) then fails with ENOENT, which surfaces as "Channel output shutdown". Here an
 * empty interest set is submitted as {@code EPOLLET} alone instead: the fd stays registered, reports nothing but a
 * single edge of HUP/ERR, and later changes work. The fd is still removed when the channel closes.
 * The day Netty fixes this (see EpollIoHandler.DefaultEpollIoRegistration#submit), this class goes.
 */
final class EpollRegistrationFix implements IoHandlerFactory {
    private final IoHandlerFactory delegate;

    EpollRegistrationFix(IoHandlerFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public IoHandler newHandler(io.netty.util.concurrent.ThreadAwareExecutor executor) {
        IoHandler handler = delegate.newHandler(executor);
        return new IoHandler() {
            @Override
            public void initialize() {
                handler.initialize();
            }

            @Override
            public int run(IoHandlerContext context) {
                return handler.run(context);
            }

            @Override
            public void prepareToDestroy() {
                handler.prepareToDestroy();
            }

            @Override
            public void destroy() {
                handler.destroy();
            }

            @Override
            public IoRegistration register(IoHandle handle) throws Exception {
                return new KeptRegistration(handler.register(handle));
            }

            @Override
            public void wakeup() {
                handler.wakeup();
            }

            @Override
            public boolean isCompatible(Class<? extends IoHandle> handleType) {
                return handler.isCompatible(handleType);
            }
        };
    }

    @Override
    public boolean isChangingThreadSupported() {
        return delegate.isChangingThreadSupported();
    }

    /**
     * Never asks epoll for an empty interest set (which the handler turns into a removal it then forgets), and
     * never for the set it already has: the handler makes an epoll_ctl(MOD) of every request, and a tunnel's
     * connect asked for the same set twice. Netty's epoll is level-triggered, so a repeated MOD changes nothing.
     */
    private static final class KeptRegistration implements IoRegistration {
        private final IoRegistration delegate;
        private long current = -1; // what epoll has for the fd, as far as this registration knows

        KeptRegistration(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public synchronized long submit(IoOps ops) {
            IoOps wanted = ops instanceof EpollIoOps e && e.value() == 0 ? EpollIoOps.EPOLLET : ops;
            long value = wanted instanceof EpollIoOps e ? e.value() : -2;
            if (value == current && current >= 0) {
                return current;
            }
            long result = delegate.submit(wanted);
            current = result == value ? value : -1;
            return result;
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public synchronized boolean cancel() {
            current = -1;
            return delegate.cancel();
        }
    }
}
