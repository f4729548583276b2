"""Time one whole Llama-style decoder layer (RMSNorm, QKV, RoPE-free GQA attention, output projection,
RMSNorm, SwiGLU MLP, residuals) on an NVIDIA Hopper GPU, as a serving engine runs it:
- decode: one new token per sequence against a KV cache of L tokens, captured in a CUDA graph (as vLLM,
  SGLang and TensorRT-LLM run decode), and eagerly; gives the fixed time per layer and the HBM fraction;
- prefill: S prompt tokens with causal flash attention; gives the layer's achieved FLOP/s.
Shapes: Llama 3 8B at tp 1 and Llama 3 70B's per-rank shapes at tp 4 and 8.

Run on the lent GPU machine:  python3 scripts/device/measure_layer.py > layer.json
"""
import functools, json, sys
import torch
import torch.nn.functional as F

import timing

dev = torch.device("cuda"); bf = torch.bfloat16
torch.backends.cuda.matmul.allow_tf32 = False

bench = functools.partial(timing.bench, iters=30, warm=5)

def rms(x, w):
    return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-5).to(x.dtype) * w

class Layer:
    def __init__(self, h, hq, hkv, ffn, d=128):
        self.h, self.hq, self.hkv, self.ffn, self.d = h, hq, hkv, ffn, d
        r = lambda *s: torch.randn(*s, device=dev, dtype=bf) * 0.02
        self.wqkv = r((hq + 2 * hkv) * d, h); self.wo = r(h, hq * d)
        self.wgu = r(2 * ffn, h); self.wd = r(h, ffn)
        self.n1 = torch.ones(h, device=dev, dtype=bf); self.n2 = torch.ones(h, device=dev, dtype=bf)
        self.weight_bytes = 2 * (self.wqkv.numel() + self.wo.numel() + self.wgu.numel() + self.wd.numel())
        self.flops_per_token = 2 * self.weight_bytes // 2

    def forward(self, x, k_cache, v_cache, causal):
        B, S, _ = x.shape
        qkv = rms(x, self.n1) @ self.wqkv.t()
        q, k, v = qkv.split([self.hq * self.d, self.hkv * self.d, self.hkv * self.d], dim=-1)
        q = q.view(B, S, self.hq, self.d).transpose(1, 2)
        if causal:
            k = k.view(B, S, self.hkv, self.d).transpose(1, 2); v = v.view(B, S, self.hkv, self.d).transpose(1, 2)
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        else:
            o = F.scaled_dot_product_attention(q, k_cache, v_cache, enable_gqa=True)
        x = x + o.transpose(1, 2).reshape(B, S, -1) @ self.wo.t()
        g, u = (rms(x, self.n2) @ self.wgu.t()).chunk(2, dim=-1)
        return x + (F.silu(g) * u) @ self.wd.t()

shapes = [("llama3-8b tp1", 4096, 32, 8, 14336), ("llama3-70b tp4", 8192, 16, 2, 7168), ("llama3-70b tp8", 8192, 8, 1, 3584)]
decode, prefill = [], []
for name, h, hq, hkv, ffn in shapes:
    L_ = Layer(h, hq, hkv, ffn)
    for B in (1, 8, 32, 64, 128, 256):
        for keys in (1024, 4096):
            kc = torch.randn(B, hkv, keys, 128, device=dev, dtype=bf); vc = torch.randn_like(kc)
            x = torch.randn(B, 1, h, device=dev, dtype=bf)
            eager = bench(lambda: L_.forward(x, kc, vc, False))
            g = torch.cuda.CUDAGraph()
            s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    L_.forward(x, kc, vc, False)
            torch.cuda.current_stream().wait_stream(s)
            with torch.cuda.graph(g):
                L_.forward(x, kc, vc, False)
            graphed = bench(g.replay, iters=50)
            decode.append({"shape": name, "batch": B, "keys": keys, "weightBytes": L_.weight_bytes,
                           "kvBytes": 2 * kc.numel() * 2, "eagerSeconds": eager, "graphSeconds": graphed})
            del kc, vc, g
    for S in (512, 2048, 8192):
        x = torch.randn(1, S, h, device=dev, dtype=bf)
        t = bench(lambda: L_.forward(x, None, None, True), iters=10)
        attn_flops = 4 * hq * 128 * S * S / 2
        prefill.append({"shape": name, "tokens": S, "seconds": t, "linearFlops": S * L_.flops_per_token,
                        "attentionFlops": attn_flops, "tflops": (S * L_.flops_per_token + attn_flops) / t / 1e12})
    print(name, "done", file=sys.stderr)
print(json.dumps({"device": torch.cuda.get_device_properties(0).name, "torch": torch.__version__,
                  "cuda": torch.version.cuda, "decodeLayer": decode, "prefillLayer": prefill}))
