package dev.sluice.config;

import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import java.net.InetAddress;

/**
 * Whether two listen addresses would fight over one port at bind time, however they are spelled:
 * {@code 127.0.0.1:8443} and {@code [::ffff:127.0.0.1]:8443} are one address; a wildcard ({@code 0.0.0.0},
 * {@code [::]}) takes the port on every address. {@code check} reports what {@code run} would hit as
 * "Address already in use". Port 0 (an ephemeral port) never clashes.
 */
final class BindClash {
    private BindClash() {
    }

    static boolean clash(HostPort a, HostPort b) {
        if (a.port() == 0 || a.port() != b.port()) {
            return false;
        }
        InetAddress x = IpLiteral.parse(a.host());
        InetAddress y = IpLiteral.parse(b.host());
        if (x == null || y == null) {
            return a.host().equalsIgnoreCase(b.host());
        }
        return x.isAnyLocalAddress() || y.isAnyLocalAddress() || x.equals(y);
    }
}
