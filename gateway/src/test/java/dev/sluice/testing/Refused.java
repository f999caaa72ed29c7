package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.HexFormat;
import java.util.Map;

/** What a refused client reads on a raw socket: a fatal TLS alert and the end of the stream, or a reset. */
public final class Refused {
    private static final Map<Integer, String> NAMES = Map.of(40, "handshake_failure", 49, "access_denied",
            80, "internal_error", 109, "missing_extension", 112, "unrecognized_name");

    private Refused() {
    }

    /**
     * A connection refused after its hello (a 3.1 record, as in the captured hellos) is told why by a fatal TLS
     * alert, then the gateway's orderly close, within 3 s: not a reset, not left to time out.
     */
    public static void assertToldPromptly(Socket s, String alert) throws IOException {
        long start = System.nanoTime();
        assertThat(told(s)).isEqualTo("fatal " + alert + " (record 3.1), then EOF");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    }

    /**
     * Reads until the gateway closes (at most 3 s) and says what came: {@code "reset"}, {@code "eof"},
     * {@code "fatal access_denied (record 3.1), then EOF"} (or {@code ", then reset"}), or the bytes in hex when
     * they are anything else.
     */
    public static String told(Socket s) throws IOException {
        s.setSoTimeout(3000);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        String end;
        InputStream in = s.getInputStream();
        try {
            byte[] buf = new byte[512];
            int n;
            while ((n = in.read(buf)) >= 0) {
                got.write(buf, 0, n);
            }
            end = "EOF";
        } catch (SocketTimeoutException e) {
            end = "still open after 3 s";
        } catch (SocketException e) {
            end = String.valueOf(e.getMessage()).contains("reset") ? "reset" : e.getMessage();
        }
        byte[] b = got.toByteArray();
        if (b.length == 0) {
            return end.toLowerCase(java.util.Locale.ROOT);
        }
        if (b.length == 7 && b[0] == 21 && b[3] == 0 && b[4] == 2 && b[5] == 2) {
            String name = NAMES.getOrDefault(b[6] & 0xff, "alert " + (b[6] & 0xff));
            return "fatal " + name + " (record " + b[1] + "." + b[2] + "), then " + end;
        }
        return HexFormat.of().formatHex(b) + ", then " + end;
    }
}
