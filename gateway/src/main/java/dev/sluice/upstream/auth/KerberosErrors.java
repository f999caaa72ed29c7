package dev.sluice.upstream.auth;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ietf.jgss.GSSException;

/**
 * Turns what the JDK's Kerberos throws (a LoginException or GSSException with a KrbException or socket error behind
 * it) into one short line an operator can act on: "Clock skew too great (37)", "Server not found in Kerberos database
 * (7)", "Cannot contact any KDC for realm 'CORP.EXAMPLE' (connection refused)". Never a key or token: these
 * exceptions carry neither.
 */
final class KerberosErrors {
    private static final int MAX_LENGTH = 300;
    private static final Pattern SYMBOL = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final Pattern CODE = Pattern.compile("\\((\\d+)\\)(?: - .*)?$");
    private static final Map<Integer, String> HINTS = Map.of(
            24, "the keytab's key does not match the KDC's (an old key version, or another principal's key)",
            31, "the keytab's key does not match the KDC's (an old key version, or another principal's key)",
            37, "this host's clock and the KDC's differ too much (check NTP)");

    private KerberosErrors() {
    }

    /** The reason in plain words; {@code realm} (may be null) names the KDCs that could not be reached. */
    static String reason(Throwable failure, String realm) {
        Throwable krb = null;
        IOException network = null;
        GSSException gss = null;
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (krb == null && t.getClass().getName().startsWith("sun.security.krb5.")) {
                krb = t;
            } else if (network == null && isNetwork(t)) {
                network = (IOException) t;
            } else if (gss == null && t instanceof GSSException g) {
                gss = g;
            }
        }
        String reason;
        if (krb != null && !blank(krb.getMessage())) {
            reason = withHint(withoutEchoedText(krb.getMessage()));
        } else if (network != null) {
            reason = "Cannot contact any KDC" + (realm == null ? "" : " for realm '" + realm + "'")
                    + " (" + networkWords(network) + ")";
        } else if (gss != null) {
            reason = gssWords(gss);
        } else if ("Unable to obtain password from user".equals(failure.getMessage())) {
            reason = "the keytab holds no key the JDK can use for this principal";
        } else {
            reason = blank(failure.getMessage()) ? failure.getClass().getSimpleName() : failure.getMessage();
        }
        return tidy(reason);
    }

    private static boolean isNetwork(Throwable t) {
        return t instanceof SocketTimeoutException || t instanceof ConnectException
                || t instanceof PortUnreachableException || t instanceof NoRouteToHostException
                || t instanceof UnknownHostException
                || t instanceof IOException && "Cannot get a KDC reply".equals(t.getMessage());
    }

    private static String networkWords(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "no answer within kdc_timeout";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof PortUnreachableException) {
            return "port unreachable";
        }
        if (e instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        return "no reply";
    }

    private static String gssWords(GSSException e) {
        String minor = e.getMinorString();
        return blank(minor) ? e.getMajorString() : minor;
    }

    /**
     * The JDK's text for the error code, without the KDC's e-text when that only repeats it ("Server not found in
     * Kerberos database (7) - Server not found in Kerberos database") or names it ("... (31) - PREAUTH_FAILED").
     */
    private static String withoutEchoedText(String message) {
        int dash = message.indexOf(") - ");
        if (dash > 0) {
            int open = message.lastIndexOf(" (", dash);
            String text = message.substring(dash + 4).strip();
            boolean echo = open > 0 && text.equalsIgnoreCase(message.substring(0, open).strip());
            if (echo || open > 0 && SYMBOL.matcher(text).matches()) {
                return message.substring(0, dash + 1);
            }
        }
        return message;
    }

    private static String withHint(String message) {
        Matcher m = CODE.matcher(message);
        if (m.find()) {
            String hint = HINTS.get(Integer.parseInt(m.group(1)));
            if (hint != null) {
                return message + " - " + hint;
            }
        }
        return message;
    }

    private static String tidy(String reason) {
        String r = reason.replaceAll("\\s+", " ").strip();
        while (r.startsWith("GSSException: ")) {
            r = r.substring("GSSException: ".length());
        }
        return r.length() > MAX_LENGTH ? r.substring(0, MAX_LENGTH - 3) + "..." : r;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
