// Multi-tier (Clos) scale-out networks: which systems sit on one, its tiers, their oversubscription and
// latency (data/networks.json, every figure sourced or marked an estimate), and the tiers a system's
// hardware gets from it.
import { Type, type Static } from "@sinclair/typebox";
import { Nullable, Sourced, type SystemSpec } from "../catalog/schema.js";
import { US } from "../units.js";
import type { ScaleOutTier } from "./hardware.js";

export const ScaleOutTierSpec = Type.Object(
  {
    name: Type.String(),
    /** Chips under one domain of this tier; null for the top tier (unbounded). */
    chips: Nullable(Sourced),
    oversubscription: Sourced,
    latencyUs: Sourced,
  },
  { additionalProperties: false },
);
export type ScaleOutTierSpec = Static<typeof ScaleOutTierSpec>;

export const ScaleOutNetwork = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    /** Systems whose scale-out network this is. */
    systems: Type.Array(Type.String()),
    /** Innermost first; the last has `chips: null`. */
    tiers: Type.Array(ScaleOutTierSpec, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type ScaleOutNetwork = Static<typeof ScaleOutNetwork>;

/** A system's tiers in SI units, each tier's domain rounded down to whole systems. */
export function scaleOutTiers(network: ScaleOutNetwork, system: SystemSpec): ScaleOutTier[] {
  return network.tiers.map((t) => ({
    name: t.name,
    domainChips: t.chips === null ? Infinity : Math.max(1, Math.floor(t.chips.value / system.chipsPerSystem)) * system.chipsPerSystem,
    oversubscription: t.oversubscription.value,
    latencySeconds: t.latencyUs.value * US,
  }));
}
