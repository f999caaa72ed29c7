package dev.sluice.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** IP address literals, parsed without ever asking DNS. */
public final class IpLiteral {
    private static final Pattern V4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** Starts like a literal to the JDK too: given ".:", InetAddress.getByName asks the resolver. */
    private static final Pattern V6_CHARS = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");

    /** A last label of digits, or 0x and hex digits: what inet_aton(3) reads as a number ("127.1", "0x7f.1"). */
    private static final Pattern NUMERIC_LABEL = Pattern.compile("(^|.*\\.)(\\d+|0x[0-9a-f]*)");

    private IpLiteral() {
    }

    /** The address, or {@code null} when {@code text} is not an IPv4 or IPv6 literal (no DNS is consulted). */
    public static InetAddress parse(String text) {
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        boolean v4 = V4.matcher(s).matches();
        boolean v6 = !v4 && s.indexOf(':') >= 0 && V6_CHARS.matcher(s).matches();
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s); // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * The address as RFC 5952 writes it, the form {@code ip addr}, {@code ss} and grep expect: IPv4 dotted, IPv6 in
     * lower case without leading zeros, the longest run of two or more zero groups (the first of equal runs) as
     * {@code ::}; {@code fd77:1::2}, not the JDK's {@code fd77:1:0:0:0:0:0:2}. No scope suffix, no brackets.
     */
    public static String format(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is written as 0, not ::
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    public static boolean is(String text) {
        return parse(text) != null;
    }

    /**
     * Whether a server name is really an address: a literal (in any case, with one trailing dot) or a name whose
     * last label is numeric. No DNS name ends in an all-numeric label (RFC 1123 2.1: top-level labels are
     * alphabetic), while resolvers read "127.1", "2130706433" or "0x7f.0.0.1" as addresses.
     */
    public static boolean isAddress(String name) {
        String n = HostName.normalize(name);
        return is(n) || NUMERIC_LABEL.matcher(n).matches();
    }
}
