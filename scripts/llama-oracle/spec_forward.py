"""Spec of llama.cpp's one-token forward (Q8_0 llama files) in numpy, compared op by op with a dump.

Usage: DUMP=d.bin ./llama_logits CPU_LIB MODEL logits.bin 1 <<< $'C\n1 1\n'; python3 spec_forward.py MODEL d.bin
"""
import numpy as np, sys
from gguf_min import *
D = load_dump(sys.argv[2]); b, kv, T = read_gguf(sys.argv[1])
names = {}
for n, ne, a in D: names.setdefault(n, []).append(a)
def L(n, k=-1): return names[n][k]
def f32(name):
    t, ne, off = T[name]; assert t == 0; return np.frombuffer(b, dtype=np.float32, count=int(np.prod(ne)), offset=off).copy()
def deq(name):
    t, ne, off = T[name]; wd, wq = q8_0_rows(b, ne, off); return (wd[:,:,None]*wq).reshape(ne[1], ne[0]).astype(np.float32)
def mm(name, x):
    t, ne, off = T[name]; wd, wq = q8_0_rows(b, ne, off); xd, xq = quantize_q8_0(x)
    return ((wd*xd[None,:]).astype(np.float32) * (wq*xq[None]).sum(axis=2)).sum(axis=1, dtype=np.float64).astype(np.float32)
eps = np.float32(kv['llama.attention.layer_norm_rms_epsilon'])
def rms(x, w): return (x / np.sqrt(np.mean(x.astype(np.float64)**2) + eps)).astype(np.float32) * w
def cmp(tag, mine, theirs):
    d = np.abs(mine - theirs); print(f"{tag:22s} max|diff| {d.max():.3e}  mean {d.mean():.3e}  (|ref| max {np.abs(theirs).max():.3f})")
tok = 1
E = deq('token_embd.weight'); x = E[tok]
cmp('inp_embd', x, L('inp_embd'))
nl = kv['llama.block_count']
for l in range(nl):
    n = rms(x, f32(f'blk.{l}.attn_norm.weight')); cmp(f'attn_norm-{l}', n, L(f'attn_norm-{l}'))
    v = mm(f'blk.{l}.attn_v.weight', n); cmp(f'Vcur-{l}', v, L(f'Vcur-{l}', 0))
    heads = 8; kvh = 4; hd = 32
    att = np.concatenate([v.astype(np.float16).astype(np.float32)[(h // (heads//kvh))*hd:(h//(heads//kvh)+1)*hd] for h in range(heads)])
    cmp(f'kqv_merged_cont-{l}', att, L(f'kqv_merged_cont-{l}'))
    o = mm(f'blk.{l}.attn_output.weight', att); cmp(f'kqv_out-{l}', o, L(f'kqv_out-{l}'))
    x = x + o; cmp(f'ffn_inp-{l}', x, L(f'ffn_inp-{l}'))
    m = rms(x, f32(f'blk.{l}.ffn_norm.weight')); cmp(f'ffn_norm-{l}', m, L(f'ffn_norm-{l}'))
    g = mm(f'blk.{l}.ffn_gate.weight', m); cmp(f'ffn_gate-{l}', g, L(f'ffn_gate-{l}'))
    u = mm(f'blk.{l}.ffn_up.weight', m); cmp(f'ffn_up-{l}', u, L(f'ffn_up-{l}'))
    s = (g / (1 + np.exp(-g.astype(np.float64)))).astype(np.float32); cmp(f'ffn_silu-{l}', s, L(f'ffn_silu-{l}'))
    p = s * u; cmp(f'ffn_gate_par-{l}', p, L(f'ffn_gate_par-{l}'))
    dn = mm(f'blk.{l}.ffn_down.weight', p); cmp(f'ffn_out-{l}', dn, L(f'ffn_out-{l}'))
    x = x + dn; cmp(f'l_out-{l}', x, L(f'l_out-{l}'))
r = rms(x, f32('output_norm.weight')); cmp('result_norm', r, L('result_norm'))
lo = mm('output.weight', r); cmp('result_output', lo, L('result_output'))

