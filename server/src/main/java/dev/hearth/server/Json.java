package dev.hearth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** JSON in and out: one mapper (snake_case record components), and typed access to request fields with clear errors. */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(JsonReadFeature.ALLOW_TRAILING_DECIMAL_POINT_FOR_NUMBERS)
            .build();

    static {
        // Deeply nested bodies are refused by the parser rather than risking the stack.
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** Parses a request body that must be a JSON object. */
    static Fields parseObject(byte[] body) {
        JsonNode root;
        try {
            root = body.length == 0 ? null : MAPPER.readTree(body);
        } catch (IOException e) {
            String detail = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw ApiError.badRequest(null, "We could not parse the JSON body of your request (" + detail
                    + "). The body must be a JSON object.");
        }
        if (root == null || root.isMissingNode()) {
            throw ApiError.badRequest(null, "The request has no body; send a JSON object.");
        }
        if (!root.isObject()) {
            throw ApiError.badRequest(null, "The request body must be a JSON object, not " + describe(root) + ".");
        }
        return new Fields(root, "");
    }

    static String describe(JsonNode n) {
        JsonNodeType t = n.getNodeType();
        return switch (t) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The fields of one JSON object; {@code prefix} names nested objects in errors ("options."). */
    record Fields(JsonNode node, String prefix) {
        String name(String field) { return prefix + field; }

        /** The raw node, or null when absent or JSON null. */
        JsonNode get(String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? null : v;
        }

        boolean has(String field) { return get(field) != null; }

        Optional<String> string(String field) {
            JsonNode v = get(field);
            if (v == null) return Optional.empty();
            if (!v.isTextual()) throw ApiError.invalidType(name(field), "a string", describe(v));
            return Optional.of(v.asText());
        }

        Optional<Boolean> bool(String field) {
            JsonNode v = get(field);
            if (v == null) return Optional.empty();
            if (!v.isBoolean()) throw ApiError.invalidType(name(field), "a boolean", describe(v));
            return Optional.of(v.asBoolean());
        }

        /** A number within [min, max]. */
        Optional<Double> number(String field, double min, double max) {
            JsonNode v = get(field);
            if (v == null) return Optional.empty();
            if (!v.isNumber()) throw ApiError.invalidType(name(field), "a number", describe(v));
            double d = v.asDouble();
            if (!(d >= min && d <= max)) {
                throw ApiError.invalidValue(name(field), "Invalid value for '" + name(field) + "': " + v.asText()
                        + " is outside the allowed range [" + fmt(min) + ", " + fmt(max) + "].");
            }
            return Optional.of(d);
        }

        /** An integer within [min, max] (a float with no fraction, like 5.0, is accepted). */
        Optional<Long> integer(String field, long min, long max) {
            JsonNode v = get(field);
            if (v == null) return Optional.empty();
            if (!v.isNumber() || (!v.isIntegralNumber() && v.asDouble() != Math.rint(v.asDouble()))) {
                throw ApiError.invalidType(name(field), "an integer", describe(v));
            }
            if (!v.canConvertToLong()) {
                throw ApiError.invalidValue(name(field), "Invalid value for '" + name(field) + "': " + v.asText() + " is too large.");
            }
            long l = v.asLong();
            if (l < min || l > max) {
                throw ApiError.invalidValue(name(field), "Invalid value for '" + name(field) + "': " + l
                        + " is outside the allowed range [" + min + ", " + max + "].");
            }
            return Optional.of(l);
        }

        Optional<Fields> object(String field) {
            JsonNode v = get(field);
            if (v == null) return Optional.empty();
            if (!v.isObject()) throw ApiError.invalidType(name(field), "an object", describe(v));
            return Optional.of(new Fields(v, name(field) + "."));
        }

        /** A string or an array of strings (OpenAI's {@code stop}). */
        List<String> stringOrStrings(String field, int maxItems) {
            JsonNode v = get(field);
            if (v == null) return List.of();
            List<String> out = new ArrayList<>();
            if (v.isTextual()) {
                out.add(v.asText());
            } else if (v.isArray()) {
                int i = 0;
                for (JsonNode e : v) {
                    if (!e.isTextual()) throw ApiError.invalidType(name(field) + "[" + i + "]", "a string", describe(e));
                    out.add(e.asText());
                    i++;
                }
            } else {
                throw ApiError.invalidType(name(field), "a string or an array of strings", describe(v));
            }
            if (out.size() > maxItems) {
                throw ApiError.invalidValue(name(field), "Invalid value for '" + name(field) + "': at most " + maxItems
                        + " stop sequences are allowed, got " + out.size() + ".");
            }
            out.removeIf(String::isEmpty);
            return out;
        }

        private static String fmt(double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
    }
}
