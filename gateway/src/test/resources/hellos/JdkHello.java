import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Sends one JDK (JSSE) ClientHello to 127.0.0.1:PORT with SNI
 * repo.maven.apache.org and ALPN http/1.1. Run: java JdkHello.java PORT
 * The handshake is expected to fail; the failure is ignored.
 */
public class JdkHello {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        SSLContext ctx = SSLContext.getDefault();
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("repo.maven.apache.org")));
            p.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(p);
            s.startHandshake();
        } catch (Exception e) {
            System.out.println("handshake failed (expected): " + e);
        }
    }
}
