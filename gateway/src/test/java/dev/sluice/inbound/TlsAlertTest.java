package dev.sluice.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The alert records a refused client gets: their bytes, and what a real TLS stack (the JDK's) makes of them. */
class TlsAlertTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ACCESS_DENIED, 49, access_denied", "INTERNAL_ERROR, 80, internal_error",
            "UNRECOGNIZED_NAME, 112, unrecognized_name"})
    void oneFatalAlertRecordOfSevenBytes(TlsAlert alert, int code, String label) {
        assertThat(alert.code()).isEqualTo(code);
        assertThat(alert.label()).isEqualTo(label);
        // content type alert (21), version 3.1 as the hello's record, length 2, level fatal (2), description
        assertThat(alert.record(0x0301)).containsExactly(21, 3, 1, 0, 2, 2, code);
    }

    @ParameterizedTest(name = "hello record version {0} -> alert record version {1}")
    @CsvSource({"0x0301, 0x0301", "0x0303, 0x0303", "0x0302, 0x0302", "0x0300, 0x0300",
            "0x0304, 0x0303", "0x03ff, 0x0303", "0, 0x0303"})
    void answersInTheRecordVersionTheClientUsedOr12(String hello, String expected) {
        int version = Integer.decode(expected);
        byte[] record = TlsAlert.ACCESS_DENIED.record(Integer.decode(hello));
        assertThat(((record[1] & 0xff) << 8) | (record[2] & 0xff)).isEqualTo(version);
    }

    @ParameterizedTest(name = "{0} to a TLS 1.3 client")
    @EnumSource(TlsAlert.class)
    void theJdkClientReportsTheAlertByName(TlsAlert alert) throws Exception {
        assertThatThrownBy(() -> receive(alert.record(0x0303), "TLSv1.3"))
                .isInstanceOf(SSLException.class)
                .hasMessageContaining("Received fatal alert: " + alert.label());
    }

    @ParameterizedTest(name = "{0} to a TLS 1.2 client, in a 3.1 record")
    @EnumSource(TlsAlert.class)
    void aTls12ClientTakesItInTheOlderRecordVersion(TlsAlert alert) throws Exception {
        assertThatThrownBy(() -> receive(alert.record(0x0301), "TLSv1.2"))
                .isInstanceOf(SSLException.class)
                .hasMessageContaining("Received fatal alert: " + alert.label());
    }

    /** A JDK client engine sends its ClientHello, then reads {@code record} as the server's first bytes. */
    private static void receive(byte[] record, String protocol) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine client = ctx.createSSLEngine("repo.example.test", 443);
        client.setUseClientMode(true);
        client.setEnabledProtocols(new String[] {protocol});
        ByteBuffer net = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        client.beginHandshake();
        SSLEngineResult hello = client.wrap(ByteBuffer.allocate(0), net);
        assertThat(hello.bytesProduced()).as("the ClientHello").isPositive();
        ByteBuffer app = ByteBuffer.allocate(client.getSession().getApplicationBufferSize());
        client.unwrap(ByteBuffer.wrap(record), app);
    }
}
