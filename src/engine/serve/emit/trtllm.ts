// TensorRT-LLM on NVIDIA GPUs: `trtllm-serve` (PyTorch backend) with the plan's parallelism and batch
// limits on the command line, and the scheduler and KV cache in an extra_llm_api_options YAML file.
// Flags as documented at https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve/trtllm-serve.html
// (--tp_size, --pp_size, --ep_size, --max_batch_size, --max_num_tokens, --max_seq_len,
// --kv_cache_free_gpu_memory_fraction, --extra_llm_api_options; enable_attention_dp and kv_cache_config's
// enable_block_reuse in the options file); the scheduler policies
// (GUARANTEED_NO_EVICT, MAX_UTILIZATION) at
// https://nvidia.github.io/TensorRT-LLM/performance/performance-tuning-guide/useful-runtime-flags.html
import { commandLine } from "./shellWord.js";
import { DRAFT_PATH_PLACEHOLDER, isQuantized, sharedNotes, speculationOf, type EmittedLaunch, type LaunchInput } from "./launchInput.js";

export const TRTLLM_OPTIONS_FILE = "extra-llm-api-config.yml";

export function emitTrtllm(input: LaunchInput): EmittedLaunch {
  const { summary, context } = input;
  const notes = sharedNotes(input);
  // Two decimals, rounded down: never more cache than the plan had room for.
  const kvFraction = Math.floor(input.kvFractionOfFreeMemory * 100) / 100;
  const flags: [string, string?][] = [
    ["--backend", "pytorch"],
    // With attention DP, tp_size counts every GPU of a stage; each attention rank runs on its own.
    ["--tp_size", String(summary.tp * summary.attentionDp)],
    ["--pp_size", String(summary.pp)],
  ];
  if (summary.ep > 1) flags.push(["--ep_size", String(summary.ep)]);
  flags.push(
    ["--max_batch_size", String(summary.maxBatch)],
    ["--max_num_tokens", String(summary.maxTokensPerIteration)],
    ["--max_seq_len", String(context.maxContextTokens)],
    ["--kv_cache_free_gpu_memory_fraction", String(kvFraction)],
    ["--extra_llm_api_options", TRTLLM_OPTIONS_FILE],
  );
  notes.push(
    `--kv_cache_free_gpu_memory_fraction ${kvFraction}: of the memory left after the weights and activations, the share the plan's KV cache took (it simulated a memory utilization of ${input.memoryUtilization} of HBM)`,
  );
  // reserve admits a request only when its whole context fits (never evicted); on-demand packs the
  // batch and pauses requests when the cache fills (scenario.ts BatchingSpec.kvAdmission).
  const policy = summary.kvAdmission === "reserve" ? "GUARANTEED_NO_EVICT" : "MAX_UTILIZATION";
  const kv = summary.kvCachePrecision;
  const kvDtype = isQuantized(kv) ? (kv === "nvfp4" ? "nvfp4" : "fp8") : "auto";
  const yaml = [
    `# ${TRTLLM_OPTIONS_FILE}: written by ultrasim serve plan --emit trtllm`,
    `enable_chunked_prefill: ${summary.chunkedPrefill}`,
    // The PyTorch backend overlaps host and GPU work by default; a plan simulated without it turns it off.
    ...(summary.hostOverlap.value ? [] : ["disable_overlap_scheduler: true"]),
    ...(summary.attentionDp > 1 ? ["enable_attention_dp: true"] : []),
    // Streamed chunks as the plan simulated them (LlmArgs.stream_interval; default 1).
    ...(input.streamInterval > 1 ? [`stream_interval: ${input.streamInterval}`] : []),
    "scheduler_config:",
    `  capacity_scheduler_policy: ${policy}`,
    "kv_cache_config:",
    `  dtype: ${kvDtype}`,
    `  tokens_per_block: ${input.kvBlockTokens}`,
    // KV block reuse across requests sharing a prefix, as the plan simulated it (on by default).
    `  enable_block_reuse: ${summary.prefixCaching.value}`,
    ...speculativeYaml(input, notes),
    "",
  ].join("\n");
  if (summary.attentionDp > 1 && summary.tp > 1)
    notes.push(
      `TensorRT-LLM's attention DP runs each attention rank on one GPU; the plan simulated ${summary.attentionDp} attention ranks of tp ${summary.tp}`,
    );
  if (kv === "mxfp4") notes.push("the plan simulated an mxfp4 KV cache; TensorRT-LLM's are fp8 or nvfp4: fp8 is written");
  if (isQuantized(summary.precision))
    notes.push(
      `${summary.precision} weights: give a checkpoint quantized to ${summary.precision} (NVIDIA ModelOpt); the PyTorch backend reads the scheme from its config`,
    );
  return {
    engine: "trtllm",
    command: commandLine(["trtllm-serve", input.modelArg], flags),
    files: [{ name: TRTLLM_OPTIONS_FILE, contents: yaml }],
    notes,
  };
}

/**
 * Speculative decoding in the extra options YAML: speculative_config with its decoding_type
 * (nvidia.github.io/TensorRT-LLM, features/speculative-decoding: MTP, Eagle3, DraftTarget, NGram).
 */
function speculativeYaml(input: LaunchInput, notes: string[]): string[] {
  const spec = speculationOf(input);
  if (!spec) return [];
  notes.push(
    `speculative decoding (${spec.method}, k ${spec.draftTokens}): the plan assumed an acceptance rate of ${spec.acceptanceRate}; check the speculative_config keys against your TensorRT-LLM version`,
  );
  if (spec.method === "mtp") return ["speculative_config:", "  decoding_type: MTP", `  num_nextn_predict_layers: ${spec.draftTokens}`];
  if (spec.method === "ngram") return ["speculative_config:", "  decoding_type: NGram", `  max_draft_len: ${spec.draftTokens}`];
  const model = spec.method === "draft-model" ? (spec.draft ?? DRAFT_PATH_PLACEHOLDER) : DRAFT_PATH_PLACEHOLDER;
  return [
    "speculative_config:",
    `  decoding_type: ${spec.method === "eagle" ? "Eagle3" : "DraftTarget"}`,
    `  max_draft_len: ${spec.draftTokens}`,
    `  speculative_model_dir: ${model}`,
  ];
}
