package dev.sluice.fuzz;

import com.code_intelligence.jazzer.api.FuzzerSecurityIssueMedium;
import com.code_intelligence.jazzer.api.HookType;
import com.code_intelligence.jazzer.api.Jazzer;
import com.code_intelligence.jazzer.api.MethodHook;
import java.lang.invoke.MethodHandle;
import java.util.regex.Pattern;

/**
 * A Jazzer hook (registered by {@code jazzer.custom_hooks} in {@code junit-platform.properties}) that makes a DNS
 * lookup from Sluice's code during a fuzz test a finding: the configuration loader promises that nothing is looked
 * up in DNS, and {@code InetAddress.getByName} looks up every text the JDK does not take for an address literal.
 * The JDK (17 to 25) takes a text for a literal when it is in brackets, or starts with a hex digit or ':' and holds
 * a ':' (IPv6), or is a dotted quad of decimal octets; anything else goes to the resolver.
 */
public final class NoNameLookups {
    private static final Pattern DOTTED_QUAD = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private NoNameLookups() {
    }

    @MethodHook(type = HookType.BEFORE, targetClassName = "java.net.InetAddress", targetMethod = "getByName")
    @MethodHook(type = HookType.BEFORE, targetClassName = "java.net.InetAddress", targetMethod = "getAllByName")
    public static void beforeLookup(MethodHandle method, Object thisObject, Object[] arguments, int hookId) {
        String host = (String) arguments[0];
        if (!isLiteral(host)) {
            Jazzer.reportFindingFromHook(new FuzzerSecurityIssueMedium(
                    "DNS lookup of '" + host + "' (InetAddress." + method + "): Sluice must not resolve names here"));
        }
    }

    static boolean isLiteral(String host) {
        if (host == null || host.isEmpty() || (host.startsWith("[") && host.endsWith("]"))) {
            return true; // null and empty mean the loopback address, brackets an IPv6 literal or an error
        }
        char c = host.charAt(0);
        return ((Character.digit(c, 16) >= 0 || c == ':') && host.indexOf(':') >= 0) || DOTTED_QUAD.matcher(host).matches();
    }
}
