"""Measure what the catalog assumes for an NVIDIA Hopper GPU (H100/H200): GEMM efficiency in bf16 and
fp8 at the shapes the catalog's models use, causal flash-attention efficiency, and HBM bandwidth.

Run on the lent GPU machine:  python3 scripts/device/measure_h100.py > out.json
The result is recorded in data/measurements/ with the device, driver and library versions.
"""
import json, sys, time
import torch

PARTS = set((sys.argv[1] if len(sys.argv) > 1 else "gemm,attention,memory").split(","))
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
props = torch.cuda.get_device_properties(0)

from timing import bench

# (K, N) pairs: hidden -> qkv/ffn projections of Llama 3 8B/70B/405B and GPT-3 175B, split by TP.
shapes = []
for name, h, qkv, ffn in [("llama3-8b", 4096, 6144, 14336), ("llama3-70b", 8192, 10240, 28672),
                          ("llama3-405b", 16384, 18432, 53248), ("gpt3-175b", 12288, 36864, 49152)]:
    for tp in (1, 2, 4, 8):
        shapes.append((name, tp, "qkv", h, qkv // tp))
        shapes.append((name, tp, "ffn_up", h, ffn // tp))
        shapes.append((name, tp, "ffn_down", ffn // tp, h))
tokens_list = [512, 2048, 8192, 16384]

gemm = []
for dtype in (("bf16", "fp8") if "gemm" in PARTS else ()):
    for (name, tp, op, K, N) in shapes:
        if name != "llama3-8b" and tp == 1 and K * N > 16384 * 53248 // 2:
            continue
        for M in tokens_list:
            a = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
            b = torch.randn(N, K, device=dev, dtype=torch.bfloat16)
            if dtype == "bf16":
                fn = lambda: a @ b.t()
            else:
                a8 = a.to(torch.float8_e4m3fn); b8 = b.to(torch.float8_e4m3fn)
                one = torch.ones((), device=dev)
                fn = lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
            t = bench(fn, iters=10 if M * K * N > 2**36 else 30)
            gemm.append({"dtype": dtype, "model": name, "tp": tp, "op": op, "m": M, "k": K, "n": N,
                         "seconds": t, "tflops": 2 * M * K * N / t / 1e12})
            del a, b
    print(f"gemm {dtype} done", file=sys.stderr)

attn = []
import torch.nn.functional as F
attn_shapes = [(32, 8, 128), (8, 1, 128), (16, 2, 128), (12, 12, 128), (64, 8, 128)] if "attention" in PARTS else []
if "head-dims" in PARTS:
    attn_shapes += [(64, 64, 64), (32, 32, 64), (16, 16, 192), (32, 32, 192), (32, 32, 128)]
for (heads, kv, d) in attn_shapes:
    for S in (2048, 4096, 8192, 16384):
        B = max(1, 16384 // S)
        q = torch.randn(B, heads, S, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        k = torch.randn(B, heads, S, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        v = torch.randn(B, heads, S, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
        fwd = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True)
        tf = bench(fwd, iters=10)
        o = fwd(); g = torch.randn_like(o)
        def fb():
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            out.backward(g)
        tfb = bench(fb, iters=10)
        flops_fwd = 4 * B * heads * S * S * d / 2  # causal: half of QK^T and AV
        attn.append({"heads": heads, "headDim": d, "seq": S, "batch": B, "fwdSeconds": tf, "fwdBwdSeconds": tfb,
                     "fwdTflops": flops_fwd / tf / 1e12, "fwdBwdTflops": 3.5 * flops_fwd / tfb / 1e12})
print("attention done", file=sys.stderr)

grouped = []
if "grouped-gemm" in PARTS:
    # MoE expert GEMMs as one grouped GEMM per layer: (model, local experts, tokens per expert, hidden, expert ffn).
    for (name, experts, tokens, h, f) in [("qwen3-30b-a3b", 16, 8192, 2048, 768), ("qwen3-30b-a3b", 16, 2048, 2048, 768),
                                          ("qwen3-235b-a22b", 16, 4096, 4096, 1536), ("qwen3-235b-a22b", 4, 4096, 4096, 1536),
                                          ("deepseek-v3", 8, 4096, 7168, 2048), ("deepseek-v3", 32, 1024, 7168, 2048),
                                          ("gpt-oss-120b", 2, 32768, 2880, 5760), ("gpt-oss-120b", 16, 4096, 2880, 5760)]:
        a = torch.randn(experts * tokens, h, device=dev, dtype=torch.bfloat16)
        w = torch.randn(experts, h, f, device=dev, dtype=torch.bfloat16)
        offs = torch.arange(1, experts + 1, device=dev, dtype=torch.int32) * tokens
        try:
            t = bench(lambda: torch._grouped_mm(a, w, offs=offs), iters=20)
            how = "torch._grouped_mm"
        except Exception as e:  # older torch: a loop of GEMMs
            t = bench(lambda: [a[i * tokens:(i + 1) * tokens] @ w[i] for i in range(experts)], iters=20)
            how = "loop: " + type(e).__name__
        grouped.append({"model": name, "experts": experts, "tokensPerExpert": tokens, "k": h, "n": f, "seconds": t,
                        "tflops": 2 * experts * tokens * h * f / t / 1e12, "kernel": how})
    print("grouped gemm done", file=sys.stderr)

x = torch.empty(2**30, dtype=torch.uint8, device=dev); y = torch.empty_like(x)
tc = bench(lambda: y.copy_(x), iters=20)
ln_x = torch.randn(16384, 8192, device=dev, dtype=torch.bfloat16)
ln = torch.nn.LayerNorm(8192, device=dev, dtype=torch.bfloat16)
tln = bench(lambda: ln(ln_x), iters=20)
out = {
    "device": props.name, "multiprocessors": props.multi_processor_count,
    "memoryBytes": props.total_memory, "torch": torch.__version__, "cuda": torch.version.cuda,
    "driver": torch.cuda.get_device_capability(0),
    "copyBytesPerSecond": 2 * 2**30 / tc,
    "layerNormBytesPerSecond": 2 * ln_x.numel() * 2 / tln,
    "gemm": gemm, "attention": attn, "groupedGemm": grouped, "parts": sorted(PARTS),
}
print(json.dumps(out))
