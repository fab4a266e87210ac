package dev.hearth.engine.gguf;

/**
 * Tensor element types as numbered in ggml ({@code enum ggml_type}). Quantized types store
 * {@link #blockSize()} elements in {@link #blockBytes()} bytes; plain types have a block size of 1.
 * Types that are known by id but have no kernel here are listed with {@code supported = false},
 * so an error can name them instead of printing a number.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];
    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int blockSize;
    private final int blockBytes;
    private final boolean supported;

    GgmlType(int id, int blockSize, int blockBytes, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.supported = supported;
    }

    public int id() { return id; }
    /** Elements per block (1 for plain float types). */
    public int blockSize() { return blockSize; }
    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }
    /** Whether Hearth can compute with tensors of this type. */
    public boolean supported() { return supported; }
    public boolean quantized() { return blockSize > 1; }

    /** Bytes needed for {@code elements} values; elements must be a multiple of the block size. */
    public long byteSize(long elements) {
        return elements / blockSize * blockBytes;
    }

    /** The type with this ggml id, or null when the id is unknown. */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}
