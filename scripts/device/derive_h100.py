"""Turn the raw H100 measurements (data/measurements/*.raw.json, from measure_h100.py) into the figures
the catalog uses: GEMM efficiency curves eff * d / (d + d_half) per operand width, the flash-attention
curve eff * k / (k + k_half) over mean attended keys k, and the head-dimension factors.

    python3 scripts/device/derive_h100.py  ->  data/measurements/h100-sxm.json
Least squares on log efficiency over a grid; plain Python, no dependencies.
"""
import json, math, pathlib

root = pathlib.Path(__file__).resolve().parents[2] / "data" / "measurements"
main = json.loads((root / "h100-sxm-torch-2026-11-26.raw.json").read_text())
extra = json.loads((root / "h100-sxm-torch-2026-11-26-extra.raw.json").read_text())
PEAK = {"bf16": 989.4, "fp8": 1978.9}  # dense TFLOP/s, data/chips.json (h100-sxm)

def fit(points, effs, halves):
    best = None
    for e in effs:
        for h in halves:
            err = sum((math.log(e * x / (x + h)) - math.log(y)) ** 2 for x, y in points)
            if best is None or err < best[0]:
                best = (err, e, h)
    return {"max": best[1], "half": best[2], "points": len(points)}

gemm = {}
for dtype in ("bf16", "fp8"):
    pts = [(min(g["m"], g["k"], g["n"]), g["tflops"] / PEAK[dtype]) for g in main["gemm"] if g["dtype"] == dtype]
    gemm[dtype] = fit(pts, [x / 1000 for x in range(500, 900, 5)], range(0, 400, 8))
attn_pts = [((a["seq"] + 1) / 2, a["fwdBwdTflops"] / PEAK["bf16"]) for a in main["attention"]]
attention = fit(attn_pts, [x / 1000 for x in range(400, 800, 5)], range(0, 3000, 25))

def mean_rate(rows, d):
    xs = [a["fwdBwdTflops"] for a in rows if a["headDim"] == d]
    return sum(xs) / len(xs)
ref = mean_rate(extra["attention"], 128)
head_dim = [[d, round(mean_rate(extra["attention"], d) / ref, 2)] for d in (64, 128, 192)]

out = {
    "chip": "h100-sxm",
    "device": main["device"],
    "date": "2026-11-26",
    "software": {"torch": main["torch"], "cuda": main["cuda"]},
    "script": "scripts/device/measure_h100.py (raw: *.raw.json), derived by scripts/device/derive_h100.py",
    "gemm": {"b16": {"efficiency": gemm["bf16"]["max"], "halfDim": gemm["bf16"]["half"]},
             "b8": {"efficiency": gemm["fp8"]["max"], "halfDim": gemm["fp8"]["half"]}},
    "attention": {"efficiency": attention["max"], "halfKeys": attention["half"]},
    "attentionHeadDim": head_dim,
    "hbmCopyTBps": round(main["copyBytesPerSecond"] / 1e12, 3),
    "groupedGemmTflops": {f"{g['model']} e{g['experts']} t{g['tokensPerExpert']}": round(g["tflops"]) for g in extra["groupedGemm"]},
}
(root / "h100-sxm.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
