"""Turn the raw H200 measurements (data/measurements/h200-torch-2026-12-04*.raw.json) into the figures
the catalog and the serving fit use, and compare the H200 with the H100 measured on 2026-11-26 (the
same GH100 die, so the same kernel efficiencies are expected):
- decode: a whole decoder layer under a CUDA graph costs fixed + bytes / (fraction x HBM peak),
  least squares over batches 1-64 (measure_layer.py); a decode GEMM alone likewise (measure_decode.py);
- prefill: GEMM and causal flash attention rates against the H100's at the same shapes (measure_h100.py).

    python3 scripts/device/derive_h200.py  ->  data/measurements/h200.json
Plain Python, no dependencies.
"""
import json, pathlib, statistics as st

root = pathlib.Path(__file__).resolve().parents[2] / "data" / "measurements"
raw = lambda name: json.loads((root / name).read_text())
prefill = raw("h200-torch-2026-12-04.raw.json")
decode = raw("h200-torch-2026-12-04-decode.raw.json")
layer = raw("h200-torch-2026-12-04-layer.raw.json")
h100 = raw("h100-sxm-torch-2026-11-26.raw.json")
HBM = 4.8e12  # bytes/s, data/chips.json (h200)
BF16 = 989.4  # dense TFLOP/s, data/chips.json (h200, the same as h100-sxm)

def line(points):
    """Least squares t = a + b x; returns (a, b, median relative error)."""
    n = len(points); mx = sum(x for x, _ in points) / n; my = sum(t for _, t in points) / n
    b = sum((x - mx) * (t - my) for x, t in points) / sum((x - mx) ** 2 for x, _ in points)
    a = my - b * mx
    return a, b, st.median(abs((a + b * x) / t - 1) for x, t in points)

a, b, err = line([(r["weightBytes"] + r["kvBytes"], r["graphSeconds"]) for r in layer["decodeLayer"] if r["batch"] <= 64])
decode_layer = {"fixedUs": round(a * 1e6, 1), "hbmFraction": round(1 / b / HBM, 3), "medianErrorPct": round(100 * err, 1),
                "points": sum(1 for r in layer["decodeLayer"] if r["batch"] <= 64),
                "what": "Llama-style layer (RMSNorm, QKV, GQA decode attention, O, RMSNorm, SwiGLU) at batch 1-64 and 1k/4k cached keys, CUDA graph, unfused PyTorch ops"}
g = [r for r in decode["decodeGemm"] if r["m"] <= 64]
a, b, err = line([(2 * r["k"] * r["n"], r["bf16Seconds"]) for r in g])
decode_gemm = {"fixedUs": round(a * 1e6, 1), "hbmFraction": round(1 / b / HBM, 3), "medianErrorPct": round(100 * err, 1), "points": len(g),
               "what": "bf16 GEMM of 1-64 tokens against one weight matrix (Llama 3 8B/70B projections, tp 1-8), eager"}
attn = decode["decodeAttention"]
a, b, err = line([(r["kvBytes"], r["sdpaSeconds"]) for r in attn])
decode_attention = {"fixedUs": round(a * 1e6, 1), "hbmFraction": round(1 / b / HBM, 3), "medianErrorPct": round(100 * err, 1), "points": len(attn),
                    "what": "torch SDPA, one query token against 1k-16k cached keys, GQA 32/8 and 8/1 heads, head dim 128"}

key = lambda r: (r["dtype"], r["model"], r["tp"], r["op"], r["m"])
h100_gemm = {key(r): r["tflops"] for r in h100["gemm"]}
ratios = {dt: sorted(r["tflops"] / h100_gemm[key(r)] for r in prefill["gemm"] if key(r) in h100_gemm and r["dtype"] == dt) for dt in ("bf16", "fp8")}
akey = lambda r: (r["heads"], r["headDim"], r["seq"])
h100_attn = {akey(r): r["fwdBwdTflops"] for r in h100["attention"]}
attn_ratio = sorted(r["fwdBwdTflops"] / h100_attn[akey(r)] for r in prefill["attention"] if akey(r) in h100_attn)
q = lambda xs, p: round(xs[min(len(xs) - 1, int(p * len(xs)))], 3)

out = {
    "chip": "h200",
    "device": layer["device"],
    "date": "2026-12-04",
    "software": {"torch": layer["torch"], "cuda": layer["cuda"], "driver": "580.159.04"},
    "script": "scripts/device/measure_h100.py, measure_decode.py, measure_layer.py (raw: h200-torch-2026-12-04*.raw.json), derived by scripts/device/derive_h200.py",
    "sameSiliconAsH100": {
        "gemmRateRatio": {dt: {"median": round(st.median(xs), 3), "p10": q(xs, 0.1), "p90": q(xs, 0.9), "shapes": len(xs)} for dt, xs in ratios.items()},
        "attentionRateRatio": {"median": round(st.median(attn_ratio), 3), "p10": q(attn_ratio, 0.1), "p90": q(attn_ratio, 0.9), "shapes": len(attn_ratio)},
        "note": "H200 / H100 (data/measurements/h100-sxm-torch-2026-11-26.raw.json) at the same shapes: the same GH100 die at the same clocks runs the same kernels at the same rate",
    },
    "hbm": {"copyTBps": round(decode["copyBytesPerSecond"] / 1e12, 3), "readTBps": round(decode["readBytesPerSecond"] / 1e12, 3), "peakTBps": HBM / 1e12},
    "decodeLayer": decode_layer,
    "decodeGemm": decode_gemm,
    "decodeAttention": decode_attention,
    "prefillLayerTflopsFraction": {f"{r['shape']} s{r['tokens']}": round(r["tflops"] / BF16, 3) for r in layer["prefillLayer"]},
}
(root / "h200.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
