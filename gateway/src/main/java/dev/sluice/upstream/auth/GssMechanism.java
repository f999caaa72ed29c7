package dev.sluice.upstream.auth;

/** How the Negotiate token is wrapped. STUB until the kerberos branch lands. */
public enum GssMechanism { SPNEGO, KERBEROS }
