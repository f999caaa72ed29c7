package dev.sluice.observe;



/** The little JSON the access log needs: string escaping that keeps any input on one safe line. */
public final class Json {
    private Json() {
    }

    /** {@code ,"name":"value"} (or {@code null}). */
    public static void field(StringBuilder sb, String name, String value) {
        sb.append(",\"").append(name).append("\":");
        string(sb, value);
    }

    public static void string(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                // never markup, even if a page embeds the JSON
                case '<' -> sb.append("\\u003c");
                case '>' -> sb.append("\\u003e");
                case '&' -> sb.append("\\u0026");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
