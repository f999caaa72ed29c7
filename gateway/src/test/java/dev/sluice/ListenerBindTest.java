package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testing.RunningGateway;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener binds one socket per event loop with SO_REUSEPORT; that must not let a second gateway (or any
 * other program of the same user) quietly share its port: the second one fails as it would without it.
 */
class ListenerBindTest {
    @TempDir
    Path dir;

    static String yaml(int port) {
        return """
                listeners: [{ name: https, listen: 127.0.0.1:%d }]
                clients: [127.0.0.0/8]
                rules: [{ name: all, action: reject }]
                """.formatted(port);
    }

    @Test
    void aSecondGatewayOnTheSamePortIsRefusedAndTheFirstKeepsServing() throws Exception {
        try (RunningGateway first = RunningGateway.start(yaml(0), dir)) {
            int port = first.port();
            assertThatThrownBy(() -> RunningGateway.start(yaml(port), dir).close())
                    .isInstanceOf(IOException.class)
                    .hasMessage("listener https: cannot bind 127.0.0.1:" + port + ": Address already in use");
            for (int i = 0; i < 8; i++) { // spread over all of the first gateway's sockets
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes());
                    assertThat(s.getInputStream().read()).as("reset by the first gateway (not TLS)").isEqualTo(-1);
                } catch (java.net.SocketException reset) {
                    assertThat(reset.getMessage()).contains("reset");
                }
            }
            first.awaitLine(7);
            assertThat(first.accessLog).hasSize(8).allMatch(l -> l.contains("\"outcome\":\"bad_hello\""));
        }
    }
}
