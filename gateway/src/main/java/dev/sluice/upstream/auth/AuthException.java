package dev.sluice.upstream.auth;



/**
 * Why a proxy-authentication step could not be taken: a malformed challenge, a Kerberos error, a login that failed.
 * The message is for the log: it may name a user, principal, domain or SPN, never a password, key or token.
 */
public final class AuthException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuthException(String message) {
        super(message, null, false, false);
    }

    public AuthException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
