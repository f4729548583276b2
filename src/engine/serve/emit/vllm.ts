// vLLM on NVIDIA GPUs: `vllm serve` with the plan's parallelism, batch limits and KV cache.
// Flags as documented in vLLM's engine arguments, https://docs.vllm.ai/en/latest/configuration/engine_args/
// (--tensor-parallel-size, --pipeline-parallel-size, --enable-expert-parallel, --max-num-seqs,
// --max-num-batched-tokens, --enable-chunked-prefill, --gpu-memory-utilization, --block-size,
// --max-model-len, --enable-prefix-caching, --async-scheduling, --dtype, --quantization, --kv-cache-dtype); data parallelism as in
// https://docs.vllm.ai/en/latest/serving/data_parallel_deployment/ (--data-parallel-size: attention
// data parallelism for MoE models, replicas for dense ones).
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

/** Block sizes vLLM's CUDA attention backends accept. */
const VLLM_BLOCK_SIZES = [8, 16, 32, 64, 128];

export function emitVllm(input: LaunchInput): EmittedLaunch {
  const { summary, context } = input;
  const notes = sharedNotes(input);
  const flags: [string, string?][] = [
    ["--tensor-parallel-size", String(summary.tp)],
    ["--pipeline-parallel-size", String(summary.pp)],
  ];
  // Attention data parallelism: each of --data-parallel-size ranks runs its own attention (and KV cache)
  // over tp GPUs; with --enable-expert-parallel the experts spread over all of them (data_parallel_deployment).
  const dp = summary.attentionDp;
  if (dp > 1) flags.push(["--data-parallel-size", String(dp)]);
  if (summary.ep > 1) {
    flags.push(["--enable-expert-parallel"]);
    if (summary.ep !== summary.tp * dp)
      notes.push(
        `vLLM spreads the experts over all ${summary.tp * dp} GPUs of a stage (tp${dp > 1 ? " x data-parallel size" : ""}) with --enable-expert-parallel; the plan simulated ep ${summary.ep}`,
      );
  }
  flags.push(
    ["--max-num-seqs", String(summary.maxBatch)],
    ["--max-num-batched-tokens", String(summary.maxTokensPerIteration)],
    [summary.chunkedPrefill ? "--enable-chunked-prefill" : "--no-enable-chunked-prefill"],
    ["--gpu-memory-utilization", String(input.memoryUtilization)],
    ["--block-size", String(input.kvBlockTokens)],
    ["--max-model-len", String(context.maxContextTokens)],
    // Prefix caching as the plan simulated it (CacheConfig.enable_prefix_caching; on by default since the V1 engine).
    [summary.prefixCaching.value ? "--enable-prefix-caching" : "--no-enable-prefix-caching"],
  );
  // Async scheduling: written where the plan's mode is not the one vLLM's release runs by default.
  const overlap = overlapToWrite(input, "vllm");
  if (overlap !== null) flags.push([overlap ? "--async-scheduling" : "--no-async-scheduling"]);
  // Streamed chunks as the plan simulated them (--stream-interval, SchedulerConfig.stream_interval; default 1).
  if (input.streamInterval > 1) flags.push(["--stream-interval", String(input.streamInterval)]);
  if (!VLLM_BLOCK_SIZES.includes(input.kvBlockTokens))
    notes.push(`vLLM's CUDA attention takes a block size of ${VLLM_BLOCK_SIZES.join(", ")}; the plan simulated ${input.kvBlockTokens}`);
  if (!summary.chunkedPrefill && summary.maxTokensPerIteration < context.maxContextTokens)
    notes.push(
      "without chunked prefill vLLM needs --max-num-batched-tokens at least the max model length: raise it, or enable chunked prefill",
    );
  const precision = summary.precision;
  if (precision === "bf16") flags.push(["--dtype", "bfloat16"]);
  else if (precision === "fp16") flags.push(["--dtype", "float16"]);
  else if (precision === "fp8") {
    flags.push(["--quantization", "fp8"]);
    notes.push("--quantization fp8 quantizes a 16-bit checkpoint's weights as it loads; an FP8 checkpoint is read as one without it");
  } else if (isQuantized(precision))
    notes.push(
      `${precision} weights: load a checkpoint quantized to ${precision} (NVIDIA ModelOpt, LLM Compressor); vLLM reads the scheme from its config`,
    );
  const kv = summary.kvCachePrecision;
  if (isQuantized(kv)) {
    flags.push(["--kv-cache-dtype", "fp8"]);
    if (kv !== "fp8" && kv !== "mxfp8")
      notes.push(`the plan simulated a ${kv} KV cache; vLLM's smallest is fp8, which holds fewer tokens than simulated`);
  }
  // Speculative decoding: --speculative-config, a JSON object (docs.vllm.ai, features/spec_decode).
  const spec = speculationOf(input);
  if (spec) {
    const config: Record<string, unknown> =
      spec.method === "draft-model"
        ? { model: spec.draft ?? DRAFT_PATH_PLACEHOLDER, num_speculative_tokens: spec.draftTokens }
        : spec.method === "eagle"
          ? { method: "eagle", model: DRAFT_PATH_PLACEHOLDER, num_speculative_tokens: spec.draftTokens }
          : spec.method === "mtp"
            ? { method: "mtp", num_speculative_tokens: spec.draftTokens }
            : { method: "ngram", num_speculative_tokens: spec.draftTokens, prompt_lookup_max: 4 };
    flags.push(["--speculative-config", JSON.stringify(config)]);
    notes.push(
      `speculative decoding (${spec.method}, k ${spec.draftTokens}): the plan assumed an acceptance rate of ${spec.acceptanceRate}; ${spec.method === "eagle" ? `set ${DRAFT_PATH_PLACEHOLDER} to the EAGLE head trained for this model` : spec.method === "mtp" ? "older vLLM names the method deepseek_mtp" : spec.method === "draft-model" ? "the draft model must share the target's tokenizer" : "prompt_lookup_max 4 is vLLM's common setting"}`,
    );
  }
  if (summary.kvAdmission === "reserve")
    notes.push(
      "the plan simulated reservation (a request joins only when its whole context fits); vLLM allocates KV blocks as the context grows and preempts on a full cache",
    );
  if (summary.replicas > 1 && dp === 1)
    notes.push(
      `or one launch for all replicas on one node: add --data-parallel-size ${summary.replicas} (${summary.replicas * summary.tp * summary.pp} GPUs${summary.ep > 1 ? "; with --enable-expert-parallel the experts then spread over every replica's GPUs" : ""})`,
    );
  return { engine: "vllm", command: commandLine(["vllm", "serve", input.modelArg], flags), files: [], notes };
}
