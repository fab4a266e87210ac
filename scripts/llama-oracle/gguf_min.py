"""Minimal GGUF reader and helpers for checking Hearth against llama.cpp dumps (numpy only)."""
import numpy as np, struct
def read_gguf(path):
    b = open(path,'rb').read(); o = 4
    ver, nt, nkv = struct.unpack_from('<IQQ', b, o); o += 20
    def rstr():
        nonlocal o
        n, = struct.unpack_from('<Q', b, o); o += 8; s = b[o:o+n]; o += n; return s.decode('utf-8','replace')
    sizes = {0:1,1:1,2:2,3:2,4:4,5:4,6:4,7:1,10:8,11:8,12:8}
    def rval(t):
        nonlocal o
        if t == 8: return rstr()
        if t == 9:
            at, n = struct.unpack_from('<IQ', b, o); o += 12
            return [rval(at) for _ in range(n)]
        fmt = {0:'B',1:'b',2:'H',3:'h',4:'I',5:'i',6:'f',7:'?',10:'Q',11:'q',12:'d'}[t]
        v, = struct.unpack_from('<'+fmt, b, o); o += sizes[t]; return v
    kv = {}
    for _ in range(nkv):
        k = rstr(); t, = struct.unpack_from('<I', b, o); o += 4; kv[k] = rval(t)
    tens = {}
    for _ in range(nt):
        name = rstr(); nd, = struct.unpack_from('<I', b, o); o += 4
        ne = struct.unpack_from('<%dQ' % nd, b, o); o += 8*nd
        t, off = struct.unpack_from('<IQ', b, o); o += 12
        tens[name] = (t, ne, off)
    align = kv.get('general.alignment', 32)
    base = (o + align - 1) // align * align
    return b, kv, {k: (t, ne, base + off) for k, (t, ne, off) in tens.items()}
def q8_0_rows(b, ne, off):
    cols, rows = ne[0], ne[1]; nb = cols // 32
    raw = np.frombuffer(b, dtype=np.uint8, count=rows*nb*34, offset=off).reshape(rows, nb, 34)
    d = raw[:,:,0:2].copy().view(np.float16)[:,:,0].astype(np.float32)
    q = raw[:,:,2:].copy().view(np.int8).astype(np.int32)
    return d, q   # rows x nb, rows x nb x 32

def load_dump(path):
    """Tensors written by llama_logits (DUMP=path): list of (name, ne, float32 data)."""
    b = open(path, 'rb').read(); o = 0; out = []
    while o < len(b):
        name = b[o:o+64].split(b'\0')[0].decode(); ne = np.frombuffer(b[o+64:o+96], dtype=np.int64); o += 96
        n = int(np.prod(ne)); out.append((name, ne, np.frombuffer(b, dtype=np.float32, count=n, offset=o).copy())); o += 4 * n
    return out
def quantize_q8_0(x):
    """llama.cpp's quantize_row_q8_0: q = round(x * 127/amax), d = half(amax/127) (ties aside)."""
    x = x.reshape(-1, 32).astype(np.float32)
    amax = np.abs(x).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float16).astype(np.float32)
    inv = np.where(amax == 0, np.float32(0), np.float32(127) / np.where(amax == 0, 1, amax)).astype(np.float32)
    q = np.rint((x * inv[:, None]).astype(np.float32)).astype(np.int32)
    return d, q
