package dev.sluice.config;

import dev.sluice.net.HostPort;
import dev.sluice.net.IpLiteral;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Whether two listen addresses would fight over one port at bind time, however they are spelled:
 * {@code 127.0.0.1:8443} and {@code [::ffff:127.0.0.1]:8443} are one address; {@code [::]} takes the port on every
 * address (a Java socket is dual-stack); {@code 0.0.0.0} on every IPv4 address only, so it does not clash with an
 * IPv6 address such as {@code [fd77:1::1]}. {@code check} reports what {@code run} would hit as "Address already in
 * use". Port 0 (an ephemeral port) never clashes.
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
        if (x.isAnyLocalAddress() && y.isAnyLocalAddress()) {
            return true;
        }
        if (x.isAnyLocalAddress() || y.isAnyLocalAddress()) {
            InetAddress wildcard = x.isAnyLocalAddress() ? x : y;
            InetAddress other = wildcard == x ? y : x;
            return wildcard instanceof Inet6Address || other instanceof Inet4Address;
        }
        return x.equals(y);
    }
}
