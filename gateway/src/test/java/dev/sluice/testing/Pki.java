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

    /** A server context that also asks for, and checks, a client certificate from the test CA. */
    public static SSLContext serverRequiringClientCerts() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Pki.class.getResourceAsStream("/tls/origin.p12")) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), trustManagers(), null);
        return ctx;
    }

    private static javax.net.ssl.TrustManager[] trustManagers() throws Exception {
        KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
        ts.load(null, null);
        try (InputStream in = Pki.class.getResourceAsStream("/tls/ca.pem")) {
            ts.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf.getTrustManagers();
    }

    /** A file of the test PKI, for configurations that name files (ca.pem, client.pem, client.key). */
    public static java.nio.file.Path file(String name) throws Exception {
        return java.nio.file.Path.of(Pki.class.getResource("/tls/" + name).toURI());
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
