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
            sb.append(sb.length() == 0 ? "" : ", ").append(s.label()).append(" as ").append(switch (s) {
                case NEGOTIATE -> negotiate.principal();
                case NTLM -> ntlm.account();
                case BASIC -> basic.username();
            });
        }
        return sb.toString();
    }
}
