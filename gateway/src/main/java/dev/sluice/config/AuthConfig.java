package dev.sluice.config;

import java.util.List;

/**
 * How the gateway authenticates to the proxies of one upstream (or for one {@code credentials_by_client} range):
 * any of Basic, NTLM and Negotiate, each null when not configured. {@code schemes} lists the configured ones in
 * the order they are preferred (default: negotiate, ntlm, basic).
 */
public record AuthConfig(BasicAuth basic, NtlmAuth ntlm, NegotiateAuth negotiate, List<AuthScheme> schemes) {

    /** Basic only (the original {@code auth: { username, password_file }}). */
    public static AuthConfig basic(BasicAuth basic) {
        return new AuthConfig(basic, null, null, List.of(AuthScheme.BASIC));
    }

    /** Who the gateway is for each scheme, for explain and logs: "negotiate as gw@CORP, basic as svc". */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (AuthScheme s : schemes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(s.label()).append(" as ").append(who(s));
        }
        return sb.toString();
    }

    /** Who the gateway is for {@code s}: the principal, the NTLM account (domain and user) or the user name; never a secret. */
    public String who(AuthScheme s) {
        return switch (s) {
            case NEGOTIATE -> negotiate.principal();
            case NTLM -> ntlm.account();
            case BASIC -> basic.username();
        };
    }

    /** Basic is the only scheme: it goes with the first CONNECT, as browsers and curl send a proxy user. */
    public boolean basicOnly() {
        return schemes.size() == 1 && schemes.get(0) == AuthScheme.BASIC;
    }
}
