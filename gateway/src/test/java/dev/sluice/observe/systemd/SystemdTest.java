package dev.sluice.observe.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testing.NotifySocket;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdTest {
    @TempDir
    Path dir;

    @Test
    void sendsEachNotificationAsOneDatagram() {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (NotifySocket systemd = new NotifySocket(dir.resolve("notify"));
             Systemd s = Systemd.connect(group, systemd.path.toString())) {
            s.ready("serving");
            s.reloading();
            s.stopping();
            await().until(() -> systemd.messages.size() == 3);
            assertThat(systemd.messages.get(0)).isEqualTo("READY=1\nSTATUS=serving");
            assertThat(systemd.messages.get(1)).startsWith("RELOADING=1\nMONOTONIC_USEC=");
            assertThat(systemd.messages.get(2)).isEqualTo("STOPPING=1");
        } finally {
            group.shutdownGracefully();
        }
    }

    @Test
    void anAtNameIsAnAbstractSocketAndStatusIsOneDatagram() {
        String name = "sluice-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (NotifySocket systemd = NotifySocket.abstractName(name);
             Systemd s = Systemd.connect(group, "@" + name)) {
            assertThat(s.active()).isTrue();
            s.status("3 tunnels");
            s.ready("serving");
            await().until(() -> systemd.messages.size() == 2);
            assertThat(systemd.messages).containsExactly("STATUS=3 tunnels", "READY=1\nSTATUS=serving");
        } finally {
            group.shutdownGracefully();
        }
    }
}
