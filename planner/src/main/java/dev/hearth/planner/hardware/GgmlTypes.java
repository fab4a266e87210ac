package dev.hearth.planner.hardware;

/**
 * Sizes of ggml tensor types by id ({@code enum ggml_type}): elements per block and bytes per block.
 * The planner only needs sizes, so it keeps its own table rather than depending on the engine.
 */
public final class GgmlTypes {
    private GgmlTypes() {}

    /** One type: {@code blockSize} elements stored in {@code blockBytes} bytes. */
    public record Type(int id, String name, int blockSize, int blockBytes) {
        public double bitsPerWeight() {
            return 8.0 * blockBytes / blockSize;
        }
    }

    private static final Type[] BY_ID = new Type[64];

    static {
        add(0, "F32", 1, 4);
        add(1, "F16", 1, 2);
        add(2, "Q4_0", 32, 18);
        add(3, "Q4_1", 32, 20);
        add(6, "Q5_0", 32, 22);
        add(7, "Q5_1", 32, 24);
        add(8, "Q8_0", 32, 34);
        add(9, "Q8_1", 32, 36);
        add(10, "Q2_K", 256, 84);
        add(11, "Q3_K", 256, 110);
        add(12, "Q4_K", 256, 144);
        add(13, "Q5_K", 256, 176);
        add(14, "Q6_K", 256, 210);
        add(15, "Q8_K", 256, 292);
        add(16, "IQ2_XXS", 256, 66);
        add(17, "IQ2_XS", 256, 74);
        add(18, "IQ3_XXS", 256, 98);
        add(19, "IQ1_S", 256, 50);
        add(20, "IQ4_NL", 32, 18);
        add(21, "IQ3_S", 256, 110);
        add(22, "IQ2_S", 256, 82);
        add(23, "IQ4_XS", 256, 136);
        add(24, "I8", 1, 1);
        add(25, "I16", 1, 2);
        add(26, "I32", 1, 4);
        add(27, "I64", 1, 8);
        add(28, "F64", 1, 8);
        add(29, "IQ1_M", 256, 56);
        add(30, "BF16", 1, 2);
        add(34, "TQ1_0", 256, 54);
        add(35, "TQ2_0", 256, 66);
    }

    private static void add(int id, String name, int blockSize, int blockBytes) {
        BY_ID[id] = new Type(id, name, blockSize, blockBytes);
    }

    /** The type with this id, or null when unknown. */
    public static Type byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** The type with this name (case-insensitive), or null. */
    public static Type byName(String name) {
        for (var t : BY_ID) if (t != null && t.name().equalsIgnoreCase(name)) return t;
        return null;
    }
}
