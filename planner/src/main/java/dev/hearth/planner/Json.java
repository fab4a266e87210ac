package dev.hearth.planner;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The planner's JSON/YAML mappers: snake_case names, unknown fields rejected so typos are reported. */
public final class Json {
    private Json() {}

    /** For reading input files and the bundled data files. */
    public static final ObjectMapper READER = configure(JsonMapper.builder().build());
    /** For YAML scenario files. */
    public static final ObjectMapper YAML = configure(YAMLMapper.builder().build());
    /** For {@code --json} reports: pretty-printed, snake_case. */
    public static final ObjectMapper WRITER = configure(JsonMapper.builder().build())
            .enable(SerializationFeature.INDENT_OUTPUT)
            .registerModule(new SimpleModule().addSerializer(Double.class, new PlainDouble()).addSerializer(double.class, new PlainDouble()));

    /** Writes whole numbers without a fraction or exponent (600000000, not 6.0E8), others to 12 significant digits. */
    private static final class PlainDouble extends StdSerializer<Double> {
        private static final long serialVersionUID = 1L;

        PlainDouble() {
            super(Double.class);
        }

        @Override
        public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
            if (v == Math.rint(v) && Math.abs(v) < 1e15) g.writeNumber(v.longValue());
            // 12 significant digits: drops binary noise (0.22499999999999998 -> 0.225), keeps every real digit.
            else if (Double.isFinite(v) && Math.abs(v) >= 1e-4 && Math.abs(v) < 1e15) {
                g.writeNumber(new java.math.BigDecimal(v).round(new java.math.MathContext(12)).stripTrailingZeros().toPlainString());
            }
            else g.writeNumber(v);
        }
    }

    private static ObjectMapper configure(ObjectMapper m) {
        return m.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    /** Reads a JSON (or, by extension .yaml/.yml, YAML) file into a type; bad files give a clear message. */
    public static <T> T readFile(Path file, Class<T> type, String what) {
        var name = file.getFileName() == null ? file.toString() : file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        var mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : READER;
        try (InputStream in = Files.newInputStream(file)) {
            return mapper.readValue(in, type);
        } catch (NoSuchFileException e) {
            throw new PlannerInputException(what + " " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new PlannerInputException(what + " " + file + " is not valid: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        } catch (IOException e) {
            throw new PlannerInputException("cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a bundled resource; a failure here is a packaging bug, not bad input. */
    public static <T> T readResource(String resource, Class<T> type) {
        try (InputStream in = Json.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing bundled resource " + resource);
            return READER.readValue(in, type);
        } catch (IOException e) {
            throw new IllegalStateException("bundled resource " + resource + " is broken: " + e.getMessage(), e);
        }
    }

    /** Serialises a report object as pretty JSON. */
    public static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }
}
