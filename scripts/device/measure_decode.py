"""Measure what a serving step leans on, on an NVIDIA Hopper GPU (H100/H200): the HBM bandwidth that
decode-shaped GEMMs (few tokens against a whole weight matrix) and decode attention (one query token
against a KV cache) reach, in bf16 and fp8 weights. The prefill side (large-M GEMMs, causal flash
attention) is measure_h100.py's gemm and attention parts.

Run on the lent GPU machine:  python3 scripts/device/measure_decode.py > decode.json
"""
import functools, json, sys
import torch
import torch.nn.functional as F

import timing

dev = torch.device("cuda")
props = torch.cuda.get_device_properties(0)

bench = functools.partial(timing.bench, iters=50, warm=10)

# Decode GEMMs: (K, N) of Llama 3 8B / 70B projections split by TP; M = tokens in the decode batch.
gemm = []
for name, h, qkv, ffn in [("llama3-8b", 4096, 6144, 14336), ("llama3-70b", 8192, 10240, 28672)]:
    for tp in (1, 2, 4, 8):
        for op, K, N in (("qkv", h, qkv // tp), ("ffn_up", h, 2 * ffn // tp), ("ffn_down", ffn // tp, h)):
            w = torch.randn(N, K, device=dev, dtype=torch.bfloat16)
            w8 = w.to(torch.float8_e4m3fn)
            one = torch.ones((), device=dev)
            for M in (1, 8, 32, 64, 128, 256, 512):
                a = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
                t16 = bench(lambda: a @ w.t())
                row = {"model": name, "tp": tp, "op": op, "m": M, "k": K, "n": N, "bf16Seconds": t16,
                       "bf16WeightBytesPerSecond": 2 * K * N / t16, "bf16Tflops": 2 * M * K * N / t16 / 1e12}
                if M >= 16:  # _scaled_mm needs M a multiple of 16
                    a8 = a.to(torch.float8_e4m3fn)
                    t8 = bench(lambda: torch._scaled_mm(a8, w8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
                    row.update({"fp8Seconds": t8, "fp8WeightBytesPerSecond": K * N / t8, "fp8Tflops": 2 * M * K * N / t8 / 1e12})
                gemm.append(row)
            del w, w8
print("decode gemm done", file=sys.stderr)

# Decode attention: one query token per sequence against L cached keys, GQA 32 query / 8 KV heads
# (Llama 3 8B; per TP rank at 70B tp 8 it is 8 / 1), head dim 128, bf16 cache.
attn = []
for (hq, hkv) in ((32, 8), (8, 1)):
    for B in (1, 8, 32, 128):
        for L in (1024, 4096, 16384):
            if B * L * hkv > 128 * 16384 * 8:
                continue
            q = torch.randn(B, hq, 1, 128, device=dev, dtype=torch.bfloat16)
            k = torch.randn(B, hkv, L, 128, device=dev, dtype=torch.bfloat16)
            v = torch.randn_like(k)
            kv_bytes = 2 * B * hkv * L * 128 * 2
            row = {"qHeads": hq, "kvHeads": hkv, "headDim": 128, "batch": B, "keys": L, "kvBytes": kv_bytes}
            try:
                t = bench(lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
                row.update({"sdpaSeconds": t, "sdpaKvBytesPerSecond": kv_bytes / t})
            except Exception as e:
                row["sdpaError"] = type(e).__name__
            # The same as two batched GEMMs over the cache (what a plain decode kernel does).
            qg = q.view(B, hkv, hq // hkv, 128)
            def plain():
                s = torch.matmul(qg, k.transpose(-1, -2)) * 0.088
                return torch.matmul(torch.softmax(s, dim=-1), v)
            t = bench(plain)
            row.update({"plainSeconds": t, "plainKvBytesPerSecond": kv_bytes / t})
            attn.append(row)
            del q, k, v
print("decode attention done", file=sys.stderr)

x = torch.empty(2**30, dtype=torch.uint8, device=dev); y = torch.empty_like(x)
tc = bench(lambda: y.copy_(x), iters=20)
# Read-only stream: a sum over 4 GiB of bf16 reads every byte once.
z = torch.randn(2**31, device=dev, dtype=torch.bfloat16)
tr = bench(lambda: z.sum(dtype=torch.float32), iters=10)
print(json.dumps({
    "device": props.name, "multiprocessors": props.multi_processor_count, "memoryBytes": props.total_memory,
    "torch": torch.__version__, "cuda": torch.version.cuda,
    "copyBytesPerSecond": 2 * 2**30 / tc, "readBytesPerSecond": 2 * 2**31 / tr,
    "decodeGemm": gemm, "decodeAttention": attn,
}))
