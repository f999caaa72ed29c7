package dev.sluice.upstream.auth;

import java.nio.file.Path;
import java.util.Map;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag;
import javax.security.auth.login.Configuration;

/**
 * The JAAS configuration of one keytab login, in code: no jaas.conf file, no {@code java.security.auth.login.config}
 * property, nothing shared with other logins in the JVM. Only the initiator side: a TGT from the keytab, no ticket
 * cache, never a prompt. Each login has the JDK read krb5.conf again ({@code refreshKrb5Config}): the file the
 * configuration names is set ({@link Krb5Conf}) after something may already have made the JDK read its default
 * (checking a keytab reads the permitted encryption types), and a login is rare enough to afford it.
 */
final class KeytabLoginConfiguration extends Configuration {
    static final String NAME = "sluice-kerberos";
    private static final String MODULE = "com.sun.security.auth.module.Krb5LoginModule";

    private final AppConfigurationEntry[] entries;

    KeytabLoginConfiguration(String principal, Path keytab) {
        Map<String, String> options = Map.of(
                "useKeyTab", "true",
                "keyTab", keytab.toString(),
                "principal", principal,
                "storeKey", "true",
                "doNotPrompt", "true",
                "isInitiator", "true",
                "refreshKrb5Config", "true",
                "useTicketCache", "false");
        this.entries = new AppConfigurationEntry[] {
                new AppConfigurationEntry(MODULE, LoginModuleControlFlag.REQUIRED, options)};
    }

    @Override
    public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
        return NAME.equals(name) ? entries.clone() : null;
    }
}
