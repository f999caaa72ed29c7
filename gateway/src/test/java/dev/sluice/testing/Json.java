package dev.sluice.testing;

import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's JSON (access-log lines, {@code /status.json}) read by jackson-databind, strictly: exactly one value
 * and nothing after it, no duplicate keys, no comments, no unescaped control characters, integers as {@code Long}.
 * The gateway writes its own JSON; the tests read it with a parser that is not the gateway's.
 */
public final class Json {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .build();

    private Json() {
    }

    /** The JSON value of {@code text}; fails the test if it is not exactly one JSON value. */
    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new AssertionError("not one JSON value (" + e.getOriginalMessage() + "): " + text, e);
        }
    }

    /** The JSON object of {@code text} (an access-log line); fails the test if it is not exactly one object. */
    public static JsonNode object(String text) {
        JsonNode n = parse(text);
        if (!n.isObject()) {
            throw new AssertionError("not a JSON object: " + text);
        }
        return n;
    }

    /** {@link #object} as a map: strings, {@code Long}s, booleans, lists, maps and {@code null}s, keys in order. */
    public static Map<String, Object> map(String text) {
        object(text);
        return MAPPER.readValue(text, new TypeReference<Map<String, Object>>() { });
    }

    /** True when {@code text} is one JSON object and nothing else (whitespace aside). */
    public static boolean isObject(String text) {
        try {
            return MAPPER.readTree(text).isObject();
        } catch (JacksonException e) {
            return false;
        }
    }

    /**
     * A top-level field of an object as text: a string's value (unescaped), a number's digits, any other value as
     * its JSON; {@code null} for JSON null or a field that is absent.
     */
    public static String text(JsonNode object, String name) {
        JsonNode v = object.get(name);
        if (v == null || v.isNull() || v.isMissingNode()) {
            return null;
        }
        return v.isString() ? v.stringValue() : v.isNumber() ? v.asString() : v.toString();
    }
}
