package dev.sluice.session;

import dev.sluice.config.AuthScheme;
import dev.sluice.upstream.DialObserver;

/**
 * What a dial tells the connection's record: each attempt, the authentication scheme, a note. For a plain HTTP
 * request it also names the proxy in the request's record; a connection's later dials record only the attempt
 * that worked, so a long kept-alive connection's record stays small.
 */
final class RecordedDial implements DialObserver {
    private final ConnectionRecord record;
    private final RequestRecord request;
    private final boolean allAttempts;

    /** Every attempt into {@code record}. */
    RecordedDial(ConnectionRecord record) {
        this(record, null, true);
    }

    /** For {@code request} (may be null); {@code allAttempts}: the failed ones too. */
    RecordedDial(ConnectionRecord record, RequestRecord request, boolean allAttempts) {
        this.record = record;
        this.request = request;
        this.allAttempts = allAttempts;
    }

    @Override
    public void attempt(String via, String error, long millis) {
        if (error == null && request != null) {
            request.proxy(via);
        }
        if (allAttempts || error == null) {
            record.attempt(via, error, millis);
        }
    }

    @Override
    public void scheme(AuthScheme scheme) {
        record.auth(scheme.label());
    }

    @Override
    public void note(String note) {
        record.note(note);
    }
}
