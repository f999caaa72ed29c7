package dev.sluice.observe;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.SerializableString;
import tools.jackson.core.io.CharacterEscapes;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonWriteFeature;

/**
 * The JSON the access log and {@code /status.json} write: Jackson's streaming generator, from one factory, with
 * output that is ASCII only and safe on one line and inside a page. Whatever a string holds (an SNI is
 * attacker-controlled: control characters, quotes, non-ASCII, lone surrogates), it comes out as a JSON escape:
 * {@code \n}, {@code \r}, {@code \t}, {@code \"}, {@code \\} short, everything else below 0x20, 0x7f and above,
 * and {@code < > &} as {@code \}{@code u00xx} in lower-case hex, one escape per UTF-16 unit.
 */
public final class JsonOutput {
    /** Writes one JSON value. */
    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator g);
    }

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .characterEscapes(new SafeEscapes())
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .disable(JsonWriteFeature.ESCAPE_FORWARD_SLASHES)
            .build();

    /** A buffer grown past this is not kept for the next value (a hostile line, a big status page). */
    private static final int KEEP_BYTES = 16 * 1024;
    private static final ThreadLocal<Buffer> BUFFER = ThreadLocal.withInitial(Buffer::new);

    private JsonOutput() {
    }

    /** The text {@code body} writes, built in this thread's reused buffer. */
    public static String write(Body body) {
        Buffer out = BUFFER.get();
        out.count = 0;
        try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), out)) {
            body.write(g);
        }
        String text = new String(out.bytes, 0, out.count, StandardCharsets.ISO_8859_1); // ASCII: see above
        if (out.bytes.length > KEEP_BYTES) {
            BUFFER.remove();
        }
        return text;
    }

    /** A growable byte array without {@link java.io.ByteArrayOutputStream}'s locks. */
    private static final class Buffer extends OutputStream {
        byte[] bytes = new byte[1024];
        int count;

        @Override
        public void write(int b) {
            ensure(1);
            bytes[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, count, len);
            count += len;
        }

        private void ensure(int more) {
            if (count + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, count + more));
            }
        }
    }

    /** {@code < > &} and DEL escaped besides JSON's own; {@code \b} and {@code \f} as {@code \}{@code u00xx}. */
    private static final class SafeEscapes extends CharacterEscapes {
        private final int[] ascii = new int[128];

        SafeEscapes() {
            Arrays.fill(ascii, 0, 0x20, ESCAPE_STANDARD);
            ascii['\n'] = 'n';
            ascii['\r'] = 'r';
            ascii['\t'] = 't';
            ascii['"'] = '"';
            ascii['\\'] = '\\';
            ascii['<'] = ESCAPE_STANDARD; // never markup, even if a page embeds the JSON
            ascii['>'] = ESCAPE_STANDARD;
            ascii['&'] = ESCAPE_STANDARD;
            ascii[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null; // above 0x7f: ESCAPE_NON_ASCII
        }
    }
}
