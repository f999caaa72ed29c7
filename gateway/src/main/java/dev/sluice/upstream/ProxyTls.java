package dev.sluice.upstream;

import dev.sluice.config.TlsConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client TLS context for {@code https://} proxies: BoringSSL through netty-tcnative when it loads (the JDK's
 * provider otherwise, said once in the log), TLS 1.2 and 1.3 only, the proxy's name (or IP address) verified
 * against its certificate, optional own trust anchors and client certificate.
 */
public final class ProxyTls {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyTls.class);
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private ProxyTls() {
    }

    public static SslContext context(TlsConfig tls) throws SSLException {
        SslProvider provider = SslProvider.JDK;
        if (OpenSsl.isAvailable()) {
            provider = SslProvider.OPENSSL;
        } else if (FALLBACK_LOGGED.compareAndSet(false, true)) {
            LOG.info("TLS to proxies uses the JDK provider: netty-tcnative could not load ({})",
                    OpenSsl.unavailabilityCause() == null ? "unknown" : OpenSsl.unavailabilityCause().toString());
        }
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider)
                .protocols("TLSv1.3", "TLSv1.2")
                .endpointIdentificationAlgorithm("HTTPS");
        if (tls.caFile() != null) {
            b.trustManager(tls.caFile().toFile());
        }
        if (tls.clientCert() != null) {
            b.keyManager(tls.clientCert().toFile(), tls.clientKey().toFile());
        }
        return b.build();
    }
}
