package dev.sluice.policy;

import dev.sluice.config.Action;
import dev.sluice.net.HostPort;

/**
 * The policy's answer for one flow: the rule that matched (null when none did: an implicit reject), what to do,
 * and for splice the upstream's name. {@code host}/{@code port} is where the tunnel goes: the SNI by name, or the
 * original destination's address when there is no SNI; {@code host} is null when neither is known.
 */
public record Decision(Rule rule, Action action, String upstream, String host, int port) {

    public String ruleName() {
        return rule == null ? "(none)" : rule.name();
    }

    /** {@code host:port} for the access log and CONNECT; IPv6 bracketed. */
    public String target() {
        return host == null ? null : new HostPort(host, port).toString();
    }
}
