package dev.sluice.inbound;

import java.util.Locale;

/**
 * The fatal TLS alerts the gateway can send a client it refuses before any byte of a tunnel has moved, and their
 * bytes on the wire: one alert record in clear text (RFC 5246 7.2, RFC 8446 6), 7 bytes, which every TLS client
 * reports by the alert's name ({@code remote error: tls: access denied} from Go, {@code tlsv1 alert access denied}
 * from OpenSSL, {@code Received fatal alert: access_denied} from the JDK). Pure, no Netty.
 */
public enum TlsAlert {
    /** The gateway's (or the proxy's) policy refuses this destination. */
    ACCESS_DENIED(49),
    /** The gateway cannot carry the connection for reasons that are not the client's: no usable proxy. */
    INTERNAL_ERROR(80),
    /** The ClientHello carried no usable server name, and without one there is nowhere to send it. */
    UNRECOGNIZED_NAME(112);

    /** The record's content type: alert. */
    static final int CONTENT_TYPE = 21;
    /** The alert level: fatal (the client must close). */
    static final int FATAL = 2;
    /** The record version when the client's is unknown or not one of SSL 3.0 to TLS 1.2 (TLS 1.3's legacy one). */
    static final int DEFAULT_RECORD_VERSION = 0x0303;

    private final int code;

    TlsAlert(int code) {
        this.code = code;
    }

    /** The alert's description code (49, 80, 112). */
    public int code() {
        return code;
    }

    /** The name the RFCs and the JDK give it: {@code access_denied}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The alert record, in the record version the client's ClientHello came in ({@code helloRecordVersion}: 0x0301
     * from most clients, 0x0303 from some; a client accepts its own), or 0x0303 for anything else (0 when unknown).
     */
    public byte[] record(int helloRecordVersion) {
        int version = helloRecordVersion >= 0x0300 && helloRecordVersion <= 0x0303 ? helloRecordVersion
                : DEFAULT_RECORD_VERSION;
        return new byte[] {CONTENT_TYPE, (byte) (version >>> 8), (byte) version, 0, 2, FATAL, (byte) code};
    }
}
