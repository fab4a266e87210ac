"""Replays a reference JSON (prompt as one batch, then generated tokens one by one, as llama-server)
through llama.cpp and prints mean |diff| of the reference top-5 log-probabilities.
Usage: python3 compare_reference.py MODEL.gguf REFERENCE.json"""
import json, subprocess, sys, numpy as np, os
L=os.environ.get('LLAMA_BINS', '/tmp/nlc/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64')
HERE=os.path.dirname(os.path.abspath(__file__))
model, ref = sys.argv[1], sys.argv[2]
variant = os.environ.get('VARIANT', 'haswell')
R = json.load(open(ref))
lines = []; steps = []
for c in R['cases']:
    p = c['prompt_ids']; g = c['generated_ids']
    lines.append('C')
    lines.append(' '.join(map(str, [len(p)] + p)))
    for t in g[:-1]: lines.append('1 %d' % t)
    steps.append(len(g))
inp = '\n'.join(lines) + '\n'
r = subprocess.run([os.environ.get('LLAMA_LOGITS', '/tmp/llama_logits'), f'{L}/libggml-cpu-{variant}.so', model, '/tmp/llama_oracle_logits.bin', os.environ.get('NT','1')], input=inp.encode(), capture_output=True)
if r.returncode: print(r.stderr.decode()[-3000:]); sys.exit(1)
nv = None
raw = np.fromfile('/tmp/llama_oracle_logits.bin', dtype=np.float32)
nsteps = sum(steps); nv = raw.size // nsteps
X = raw.reshape(nsteps, nv).astype(np.float64)
k = 0; diffs = []
for c, n in zip(R['cases'], steps):
    for j in range(n):
        lg = X[k]; k += 1
        m = lg.max(); lse = m + np.log(np.exp(lg - m).sum())
        for alt in c['top5'][j]:
            diffs.append(abs(lg[alt['id']] - lse - alt['logprob']))
d = np.array(diffs)
print(f"{os.path.basename(model)}: llama.cpp b4753 ({variant}) vs reference: n={d.size} mean {d.mean():.5f} worst {d.max():.4f}")
