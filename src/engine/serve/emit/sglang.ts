// SGLang on NVIDIA GPUs: `python -m sglang.launch_server` with the plan's parallelism, batch limits and
// memory. Flags as documented at https://docs.sglang.io/advanced_features/server_arguments.html
// (--tp-size, --pp-size, --dp-size, --enable-dp-attention, --ep-size, --max-running-requests, --chunked-prefill-size,
// --max-prefill-tokens, --mem-fraction-static, --page-size, --context-length, --disable-radix-cache, --disable-overlap-schedule, --kv-cache-dtype,
// --quantization); the KV cache formats at https://docs.sglang.io/advanced_features/quantized_kv_cache.html
import { commandLine } from "./shellWord.js";
import {
  DRAFT_PATH_PLACEHOLDER,
  isQuantized,
  overlapToWrite,
  sharedNotes,
  speculationOf,
  type EmittedLaunch,
  type LaunchInput,
} from "./launchInput.js";

export function emitSglang(input: LaunchInput): EmittedLaunch {
  const { summary, context } = input;
  const notes = sharedNotes(input, { oneLaunchForAllReplicas: true });
  const dp = summary.attentionDp;
  // With DP attention, --tp-size counts every GPU of the server and --dp-size the attention ranks,
  // each of which runs attention over tp-size / dp-size GPUs (server_arguments: --enable-dp-attention).
  const flags: [string, string?][] = [
    ["--model-path", input.modelArg],
    ["--tp-size", String(summary.tp * dp)],
  ];
  if (summary.pp > 1) flags.push(["--pp-size", String(summary.pp)]);
  if (dp > 1) {
    flags.push(["--dp-size", String(dp)], ["--enable-dp-attention"]);
    if (summary.replicas > 1)
      notes.push(
        `start ${summary.replicas} servers, one per replica (${summary.tp * dp * summary.pp} GPUs each), behind the SGLang router: --dp-size holds the attention ranks`,
      );
  } else if (summary.replicas > 1) {
    flags.push(["--dp-size", String(summary.replicas)]);
    notes.push(
      `--dp-size ${summary.replicas}: one launch runs all ${summary.replicas} replicas (${summary.replicas * summary.tp * summary.pp} GPUs); across nodes, start one server per replica behind the SGLang router instead`,
    );
  }
  if (summary.ep > 1) flags.push(["--ep-size", String(summary.ep)]);
  flags.push(
    ["--max-running-requests", String(summary.maxBatch)],
    // -1 turns chunked prefill off; otherwise a prompt is prefilled in chunks of the iteration budget.
    ["--chunked-prefill-size", summary.chunkedPrefill ? String(summary.maxTokensPerIteration) : "-1"],
    ["--max-prefill-tokens", String(summary.maxTokensPerIteration)],
    ["--mem-fraction-static", String(input.memoryUtilization)],
    ["--page-size", String(input.kvBlockTokens)],
    ["--context-length", String(context.maxContextTokens)],
  );
  // The radix (prefix) cache is on unless turned off, as the plan simulated it.
  if (!summary.prefixCaching.value) flags.push(["--disable-radix-cache"]);
  // The overlap scheduler: written where the plan's mode is not the one SGLang's release runs by default.
  const overlap = overlapToWrite(input, "sglang");
  if (overlap === false) flags.push(["--disable-overlap-schedule"]);
  else if (overlap === true) notes.push("the plan overlapped host and GPU work; SGLang releases before 0.4 have no overlap scheduler");
  // Streamed chunks as the plan simulated them (--stream-interval; default 1).
  if (input.streamInterval > 1) flags.push(["--stream-interval", String(input.streamInterval)]);
  // Speculative decoding: --speculative-algorithm with its steps and draft tokens (docs.sglang.io,
  // advanced_features/speculative_decoding).
  const spec = speculationOf(input);
  if (spec) {
    const algorithm = { "draft-model": "STANDALONE", eagle: "EAGLE", mtp: "NEXTN", ngram: "NGRAM" }[spec.method] ?? "EAGLE";
    flags.push(
      ["--speculative-algorithm", algorithm],
      ["--speculative-num-steps", String(spec.draftTokens)],
      ["--speculative-eagle-topk", "1"],
      ["--speculative-num-draft-tokens", String(spec.draftTokens + 1)],
    );
    if (spec.method === "draft-model" || spec.method === "eagle")
      flags.push([
        "--speculative-draft-model-path",
        spec.method === "draft-model" ? (spec.draft ?? DRAFT_PATH_PLACEHOLDER) : DRAFT_PATH_PLACEHOLDER,
      ]);
    notes.push(
      `speculative decoding (${spec.method} as ${algorithm}, k ${spec.draftTokens}, one chain: topk 1): the plan assumed an acceptance rate of ${spec.acceptanceRate}`,
    );
  }
  const precision = summary.precision;
  if (precision === "bf16") flags.push(["--dtype", "bfloat16"]);
  else if (precision === "fp16") flags.push(["--dtype", "float16"]);
  else if (precision === "fp8") flags.push(["--quantization", "fp8"]);
  else if (isQuantized(precision))
    notes.push(
      `${precision} weights: load a checkpoint quantized to ${precision} (NVIDIA ModelOpt); SGLang reads the scheme from its config`,
    );
  if (isQuantized(summary.kvCachePrecision)) {
    flags.push(["--kv-cache-dtype", "fp8_e4m3"]);
    if (!["fp8", "mxfp8"].includes(summary.kvCachePrecision))
      notes.push(`the plan simulated a ${summary.kvCachePrecision} KV cache; fp8_e4m3 is written, which holds fewer tokens than simulated`);
  }
  if (summary.replicas > 1 || dp > 1)
    notes.push(
      "--max-running-requests is the plan's batch per replica; with --enable-dp-attention SGLang splits it over the data-parallel ranks",
    );
  if (summary.kvAdmission === "reserve")
    notes.push(
      "the plan simulated reservation (a request joins only when its whole context fits); SGLang admits by an estimate of the answer's length and retracts requests on a full cache",
    );
  return { engine: "sglang", command: commandLine(["python", "-m", "sglang.launch_server"], flags), files: [], notes };
}
