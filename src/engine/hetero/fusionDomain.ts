// Mixed NVLink Fusion domains (data/fusion-domains.json): several chip types on one scale-up fabric,
// each member a system of the catalog that gives its chip and its own link speed.
import { Type, type Static } from "@sinclair/typebox";
import domains from "../../../data/fusion-domains.json" with { type: "json" };
import { checkEntry } from "../catalog/catalog.js";
import { Sourced } from "../catalog/schema.js";
import { UltrasimError } from "../errors.js";

export const FusionDomain = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    members: Type.Array(Type.Object({ system: Type.String(), chips: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), {
      minItems: 2,
    }),
    fabric: Type.Object({ name: Type.String(), latencyUs: Sourced }, { additionalProperties: false }),
    notes: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type FusionDomain = Static<typeof FusionDomain>;

export function fusionDomain(id: string): FusionDomain {
  const found = domains.domains.find((d) => d.id === id);
  if (!found)
    throw new UltrasimError("UNKNOWN_ID", `unknown NVLink Fusion domain '${id}' (known: ${domains.domains.map((d) => d.id).join(", ")})`, {
      field: "domain",
    });
  return checkEntry<FusionDomain>(FusionDomain, found, "data/fusion-domains.json");
}
