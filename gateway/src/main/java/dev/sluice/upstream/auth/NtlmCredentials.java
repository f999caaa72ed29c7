package dev.sluice.upstream.auth;

/** STUB until the ntlm branch lands. */
public final class NtlmCredentials {
    private final String username;
    private final String domain;
    private final String workstation;

    public NtlmCredentials(String username, String domain, String password, String workstation) {
        this.username = username;
        this.domain = domain;
        this.workstation = workstation;
    }

    public String username() {
        return username;
    }

    public String domain() {
        return domain;
    }

    public String workstation() {
        return workstation;
    }

    public String account() {
        return domain == null || domain.isEmpty() ? username : domain + "\\" + username;
    }
}
