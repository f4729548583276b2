// An 8-bit (4-bit) GEMM efficiency no case, device measurement or published benchmark informs on a
// silicon follows from that silicon's own 16-bit evidence times NARROW_GEMM_RATIO, not from a round
// figure of other silicon. Trainium3's MXFP8 GEMMs had taken the GPUs' round 0.62 while Trainium's
// 16-bit kernels were fitted at 0.44 (issue 17: "an untouched prior").
import { describe, expect, it } from "vitest";
import h100 from "../data/measurements/h100-sxm.json" with { type: "json" };
import { builtinCatalog } from "../src/engine/catalog/builtin.js";
import { NARROW_GEMM_RATIO, PARAMETERS } from "../src/engine/calibrate/parameters.js";

const catalog = builtinCatalog();
const efficiencyOf = (systemId: string, framework?: string) => {
  const chip = catalog.system(systemId).chip;
  return catalog.efficiency(chip, framework);
};

describe("narrow GEMM widths without evidence of their own", () => {
  it("8-bit: the H100's measured 8-bit over 16-bit ratio, 0.655 / 0.74", () => {
    expect(NARROW_GEMM_RATIO["gemm.b8"].value).toBeCloseTo(0.655 / 0.74, 12);
    expect(NARROW_GEMM_RATIO["gemm.b8"].value).toBeCloseTo(h100.gemm.b8.efficiency / h100.gemm.b16.efficiency, 12);
    // 4-bit: nothing measured, so the round figures' own ratio.
    expect(NARROW_GEMM_RATIO["gemm.b4"].value).toBeCloseTo(0.5 / 0.72, 12);
  });

  it("Trainium3's MXFP8 and MXFP4 GEMMs follow Trainium1's fitted 16-bit efficiency, which it borrows", () => {
    const trn1 = efficiencyOf("trn1.32xlarge");
    const trn3 = efficiencyOf("trn3-ultraserver");
    expect(trn3.basis?.kernels).toBe("borrowed");
    expect(trn3.efficiency.gemm.b16).toBe(trn1.efficiency.gemm.b16);
    expect(trn3.efficiency.gemm.b8).toBeCloseTo(trn1.efficiency.gemm.b16 * (0.655 / 0.74), 12);
    expect(trn3.efficiency.gemm.b4).toBeCloseTo(trn1.efficiency.gemm.b16 * (0.5 / 0.72), 12);
    // Below the round figures it used to take, as Trainium's 16-bit kernels are below theirs.
    expect(trn3.efficiency.gemm.b8).toBeLessThan(PARAMETERS["gemm.b8"].prior.value);
  });

  it("leaves widths with a fit of their own alone (Hopper's fitted 8-bit), and round figures where 16 bits has none", () => {
    const hopper = efficiencyOf("dgx-h100");
    const fitted = catalog.calibrationValues().values.find((v) => v.owner === "silicon" && v.id === "gh100" && v.name === "gemm.b8")!;
    expect(fitted.provenance).toBe("fitted");
    expect(hopper.efficiency.gemm.b8).toBe(fitted.value);
    // A chip whose 16-bit figure is itself the round prior has nothing of its own to scale: the
    // catalog's own chips all have evidence, so a user's chip stands in for it.
    // The H100's figures under a new id and no silicon of its own: no fit, no measurement, no benchmark.
    const mine = { ...catalog.chip("h100-sxm"), id: "my-chip" };
    delete (mine as { silicon?: string }).silicon;
    const bare = builtinCatalog().withEntries({ chips: [mine] });
    const assembled = bare.efficiency("my-chip");
    expect(assembled.efficiency.gemm.b16).toBe(PARAMETERS["gemm.b16"].prior.value);
    expect(assembled.efficiency.gemm.b8).toBe(PARAMETERS["gemm.b8"].prior.value);
  });
});
