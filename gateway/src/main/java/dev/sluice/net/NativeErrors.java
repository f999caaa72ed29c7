package dev.sluice.net;

import java.util.regex.Pattern;

/**
 * The words of an I/O error without the native call Netty names before them: {@code "bind(..) failed with
 * error(-98): Address already in use"} says {@code "Address already in use"}. Used wherever such an error is shown
 * (the access log, bind and dial errors).
 */
public final class NativeErrors {
    /** "recvAddress(..) failed with error(-104): " and the like. */
    private static final Pattern NATIVE_CALL = Pattern.compile("\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ");

    private NativeErrors() {
    }

    /** {@code message} without any native-call prefix; null stays null. */
    public static String strip(String message) {
        if (message == null || message.indexOf("failed with error(") < 0) {
            return message;
        }
        return NATIVE_CALL.matcher(message).replaceAll("");
    }
}
