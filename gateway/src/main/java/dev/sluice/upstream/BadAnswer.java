package dev.sluice.upstream;



/** The proxy's answer broke HTTP or a bound: what, in words fit for the access log. No stack trace. */
final class BadAnswer extends Exception {
    private static final long serialVersionUID = 1L;

    BadAnswer(String message) {
        super(message, null, false, false);
    }
}
