// Driver for llama.cpp's libllama (b4753, from the npm package @node-llama-cpp/linux-x64@3.6.0), no headers:
// the two parameter structs are passed as opaque blobs of their b4753 sizes, patched at known offsets.
// Usage: llama_logits CPU_BACKEND.so MODEL.gguf OUT.bin [threads]; stdin lines "n t1..tn" (one llama_decode
// each, logits of the last token appended to OUT.bin as float32) or "C" (clear the KV cache).
// With DUMP=file every F32 tensor of the graph is appended to file (64-byte name, ne[4] int64, data).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
typedef struct { char b[64]; } mparams;
typedef struct { char b[120]; } cparams;
typedef struct { int32_t n_tokens; int32_t *token; float *embd; int32_t *pos; int32_t *n_seq_id; int32_t **seq_id; int8_t *logits; } batch_t;
extern void *ggml_backend_load(const char *path);
extern void llama_backend_init(void);
extern mparams llama_model_default_params(void);
extern cparams llama_context_default_params(void);
extern void *llama_model_load_from_file(const char *path, mparams p);
extern void *llama_init_from_model(void *model, cparams p);
extern batch_t llama_batch_get_one(int32_t *tokens, int32_t n);
extern int32_t llama_decode(void *ctx, batch_t b);
extern float *llama_get_logits_ith(void *ctx, int32_t i);
extern void llama_kv_cache_clear(void *ctx);
extern void *llama_model_get_vocab(void *m);
extern int32_t llama_vocab_n_tokens(void *v);
extern int ggml_is_contiguous(const void *t);
extern size_t ggml_nbytes(const void *t);
static FILE *dumpf;
static int cb(void *t, int ask, void *ud) {
    if (ask) return 1;
    char *c = (char *)t;
    int type = *(int *)c;
    if (type == 0 && ggml_is_contiguous(t)) {
        fwrite(c + 256, 1, 64, dumpf);
        fwrite(c + 16, 8, 4, dumpf);
        fwrite(*(void **)(c + 248), 1, ggml_nbytes(t), dumpf);
    }
    return 1;
}
int main(int argc, char **argv) {
    ggml_backend_load(argv[1]);
    llama_backend_init();
    mparams mp = llama_model_default_params();
    void *model = llama_model_load_from_file(argv[2], mp);
    if (!model) { fprintf(stderr, "load failed\n"); return 1; }
    cparams cp = llama_context_default_params();
    uint32_t nctx = 1024, nb = 2048, nub = 512; int32_t nt = argc > 4 ? atoi(argv[4]) : 1;
    memcpy(cp.b + 0, &nctx, 4); memcpy(cp.b + 4, &nb, 4); memcpy(cp.b + 8, &nub, 4);
    memcpy(cp.b + 16, &nt, 4); memcpy(cp.b + 20, &nt, 4);
    if (getenv("DUMP")) {
        dumpf = fopen(getenv("DUMP"), "wb");
        void *f = (void *)cb; memcpy(cp.b + 72, &f, 8);
    }
    void *ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "ctx failed\n"); return 1; }
    int nv = llama_vocab_n_tokens(llama_model_get_vocab(model));
    FILE *out = fopen(argv[3], "wb");
    // stdin: lines "n t1 t2 ... tn" ; a line starting with "C" clears the cache. Each line is one decode call.
    char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == 'C') { llama_kv_cache_clear(ctx); continue; }
        char *p = line; int n = strtol(p, &p, 10); int32_t *t = malloc(4 * n);
        for (int i = 0; i < n; i++) t[i] = strtol(p, &p, 10);
        if (llama_decode(ctx, llama_batch_get_one(t, n))) { fprintf(stderr, "decode failed\n"); return 1; }
        fwrite(llama_get_logits_ith(ctx, -1), 4, nv, out);
        free(t);
    }
    fclose(out); if (dumpf) fclose(dumpf);
    return 0;
}
