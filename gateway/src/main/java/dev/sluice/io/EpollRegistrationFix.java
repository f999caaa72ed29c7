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

    /** Never asks epoll for an empty interest set (which the handler turns into a removal it then forgets). */
    private record KeptRegistration(IoRegistration delegate) implements IoRegistration {
        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (ops instanceof EpollIoOps e && e.value() == 0) {
                return delegate.submit(EpollIoOps.EPOLLET);
            }
            return delegate.submit(ops);
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}
