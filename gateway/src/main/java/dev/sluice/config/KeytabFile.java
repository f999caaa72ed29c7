package dev.sluice.config;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of a keytab file (the MIT format, versions 0x0501 and 0x0502): principal name, key version and
 * encryption type, never the key. The JDK's own reader takes a file that is not a keytab for an empty one, and has no
 * public way to list what a keytab holds; {@code sluice check} needs both to say what is wrong.
 */
final class KeytabFile {
    record Entry(String principal, int kvno, int keyType) {
    }

    private KeytabFile() {
    }

    /** The entries, in file order; {@code null} when these bytes are not a keytab. */
    static List<Entry> parse(byte[] bytes) {
        if (bytes.length < 2 || bytes[0] != 0x05 || (bytes[1] != 0x01 && bytes[1] != 0x02)) {
            return null;
        }
        boolean v1 = bytes[1] == 0x01;
        ByteBuffer in = ByteBuffer.wrap(bytes, 2, bytes.length - 2)
                .order(v1 ? ByteOrder.nativeOrder() : ByteOrder.BIG_ENDIAN);
        List<Entry> entries = new ArrayList<>();
        try {
            while (in.remaining() >= 4) {
                int size = in.getInt();
                if (size == 0) {
                    break;
                }
                if (size < 0) {
                    skip(in, -(long) size);
                    continue;
                }
                if (size > in.remaining()) {
                    return null;
                }
                ByteBuffer entry = in.slice().order(in.order());
                entry.limit(size);
                in.position(in.position() + size);
                entries.add(entry(entry, v1));
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            return null;
        }
        return in.remaining() == 0 || in.remaining() < 4 && allZero(in) ? entries : null;
    }

    private static Entry entry(ByteBuffer in, boolean v1) {
        int components = Short.toUnsignedInt(in.getShort()) - (v1 ? 1 : 0);
        if (components < 1) {
            throw new IllegalArgumentException("no name");
        }
        String realm = string(in);
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < components; i++) {
            name.append(i == 0 ? "" : "/").append(string(in));
        }
        if (!v1) {
            in.getInt(); // name type
        }
        in.getInt(); // timestamp
        int kvno = Byte.toUnsignedInt(in.get());
        int keyType = Short.toUnsignedInt(in.getShort());
        int keyLength = Short.toUnsignedInt(in.getShort());
        skip(in, keyLength);
        if (in.remaining() >= 4) {
            int kvno32 = in.getInt();
            if (kvno32 != 0) {
                kvno = kvno32;
            }
        }
        return new Entry(name + "@" + realm, kvno, keyType);
    }

    private static String string(ByteBuffer in) {
        int length = Short.toUnsignedInt(in.getShort());
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void skip(ByteBuffer in, long n) {
        if (n > in.remaining()) {
            throw new BufferUnderflowException();
        }
        in.position(in.position() + (int) n);
    }

    private static boolean allZero(ByteBuffer in) {
        while (in.hasRemaining()) {
            if (in.get() != 0) {
                return false;
            }
        }
        return true;
    }
}
