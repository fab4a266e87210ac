package dev.hearth.engine.gguf;

import java.util.Arrays;

/**
 * One metadata value with its GGUF type. Scalars hold a boxed Java value ({@code Long} for the
 * 64-bit and unsigned 32-bit integers, {@code Integer} for smaller integers, {@code Float},
 * {@code Double}, {@code Boolean}, {@code String}). Arrays hold a primitive Java array matching the
 * element type ({@code byte[]}, {@code short[]}, {@code int[]}, {@code long[]}, {@code float[]},
 * {@code double[]}, {@code boolean[]}, {@code String[]}) or, for nested arrays, {@code GgufValue[]}.
 * Unsigned element types are stored in the signed Java type of the same width.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static GgufValue of(GgufValueType type, Object value) {
        return new GgufValue(type, null, value);
    }

    public static GgufValue array(GgufValueType elementType, Object array) {
        return new GgufValue(GgufValueType.ARRAY, elementType, array);
    }

    public boolean isArray() { return type == GgufValueType.ARRAY; }

    public int arrayLength() {
        return java.lang.reflect.Array.getLength(value);
    }

    @Override
    public String toString() {
        if (!isArray()) return type == GgufValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
        int n = arrayLength();
        return "[" + elementType + " x " + n + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GgufValue other) || type != other.type || elementType != other.elementType) return false;
        return Arrays.deepEquals(new Object[] {value}, new Object[] {other.value});
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(new Object[] {type, elementType, value});
    }
}
