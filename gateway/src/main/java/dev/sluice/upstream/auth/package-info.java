/**
 * The proxy-authentication schemes themselves, without Netty: NTLMv2 messages (MS-NLMP, with its own MD4) and the
 * Kerberos initiator (JAAS keytab login, GSS-API/SPNEGO tokens on an executor of its own). The CONNECT handshake in
 * {@code dev.sluice.upstream} uses them; nothing here knows of channels or event loops (the only project package
 * used is {@code config}, for the offline keytab check that {@code sluice check} shares).
 */
package dev.sluice.upstream.auth;
