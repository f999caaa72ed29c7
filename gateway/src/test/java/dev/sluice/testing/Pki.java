package dev.sluice.testing;

import java.io.InputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The test-only CA and origin certificate in src/test/resources/tls (see generate.sh there). */
public final class Pki {
    private static SSLContext server;
    private static SSLContext client;

    private Pki() {
    }

    public static synchronized SSLContext server() throws Exception {
        if (server == null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Pki.class.getResourceAsStream("/tls/origin.p12")) {
                ks.load(in, "changeit".toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "changeit".toCharArray());
            server = SSLContext.getInstance("TLS");
            server.init(kmf.getKeyManagers(), null, null);
        }
        return server;
    }

    /** Trusts only the test CA: a successful handshake proves the client reached the real origin, untouched. */
    public static synchronized SSLContext client() throws Exception {
        if (client == null) {
            KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
            ts.load(null, null);
            try (InputStream in = Pki.class.getResourceAsStream("/tls/ca.pem")) {
                X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
                ts.setCertificateEntry("ca", ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            client = SSLContext.getInstance("TLS");
            client.init(null, tmf.getTrustManagers(), null);
        }
        return client;
    }
}
