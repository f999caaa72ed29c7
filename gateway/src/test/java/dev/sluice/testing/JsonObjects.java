package dev.sluice.testing;

/**
 * Whether a text is exactly one JSON object (RFC 8259, strict: no trailing text, no comments), for checking that
 * an access-log line is whole. A small recursive-descent reader; the gateway writes its JSON by hand, so the
 * tests check it with a reader of their own rather than one more library.
 */
public final class JsonObjects {
    private final String s;
    private int i;

    private JsonObjects(String s) {
        this.s = s;
    }

    /** True when {@code text} is one JSON object and nothing else (whitespace aside). */
    public static boolean isOne(String text) {
        JsonObjects r = new JsonObjects(text);
        try {
            r.space();
            if (r.peek() != '{') {
                return false;
            }
            r.value();
            r.space();
            return r.i == text.length();
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return false;
        }
    }

    private char peek() {
        return s.charAt(i);
    }

    private void expect(char c) {
        if (s.charAt(i++) != c) {
            throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
        }
    }

    private void space() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private void value() {
        space();
        char c = peek();
        switch (c) {
            case '{' -> members('}', true);
            case '[' -> members(']', false);
            case '"' -> string();
            case 't' -> word("true");
            case 'f' -> word("false");
            case 'n' -> word("null");
            default -> number();
        }
        space();
    }

    private void members(char close, boolean object) {
        i++;
        space();
        if (peek() == close) {
            i++;
            return;
        }
        while (true) {
            if (object) {
                space();
                string();
                space();
                expect(':');
            }
            value();
            char c = s.charAt(i++);
            if (c == close) {
                return;
            }
            if (c != ',') {
                throw new IllegalArgumentException("expected , or " + close + " at " + (i - 1));
            }
        }
    }

    private void string() {
        expect('"');
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') {
                return;
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("control character in a string at " + (i - 1));
            }
            if (c == '\\') {
                char e = s.charAt(i++);
                if (e == 'u') {
                    for (int k = 0; k < 4; k++) {
                        if (Character.digit(s.charAt(i++), 16) < 0) {
                            throw new IllegalArgumentException("bad \\u escape at " + (i - 1));
                        }
                    }
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw new IllegalArgumentException("bad escape at " + (i - 1));
                }
            }
        }
    }

    private void word(String w) {
        if (!s.startsWith(w, i)) {
            throw new IllegalArgumentException("expected " + w + " at " + i);
        }
        i += w.length();
    }

    private void number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        if (!s.substring(start, i).matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")) {
            throw new IllegalArgumentException("bad number at " + start);
        }
    }
}
