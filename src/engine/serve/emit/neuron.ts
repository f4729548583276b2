// vLLM on AWS Trainium and Inferentia through NxD Inference (the vllm-neuron plugin). Neuron compiles
// static shapes ahead of time, so the launch fixes what a GPU server decides as it runs: the batch
// (max_num_seqs = the compiled batch), the tensor-parallel degree counted in logical NeuronCores, the
// sequence length, and the context-encoding and token-generation buckets a request is padded up to.
// vLLM flags and `--additional-config '{"override_neuron_config": ...}'` as in the vLLM User Guide for
// NxD Inference, https://awsdocs-neuron.readthedocs-hosted.com/en/latest/libraries/nxd-inference/developer_guides/vllm-user-guide-v1.html;
// the NeuronConfig fields (tp_degree, batch_size, ctx_batch_size, tkg_batch_size, seq_len,
// max_context_length, is_continuous_batching, enable_bucketing, context_encoding_buckets,
// token_generation_buckets, torch_dtype, quantized, kv_cache_quant) in the NxD Inference API reference,
// https://awsdocs-neuron.readthedocs-hosted.com/en/latest/libraries/nxd-inference/api-guides/api-guide.html
import { commandLine, shellWord } from "./shellWord.js";
import { isQuantized, sharedNotes, speculationOf, type EmittedLaunch, type LaunchInput } from "./launchInput.js";

export const NEURON_CONFIG_FILE = "neuron_config.json";
/** The smallest bucket: NxD Inference's own bucketing starts at 128 tokens. */
export const SMALLEST_BUCKET_TOKENS = 128;

/** The power of two at or above `tokens`, and at least the smallest bucket. */
export function bucketCeiling(tokens: number): number {
  let bucket = SMALLEST_BUCKET_TOKENS;
  while (bucket < tokens) bucket *= 2;
  return bucket;
}

/** Powers of two from the smallest bucket up to the one that holds `tokens`. */
export function powerOfTwoBuckets(tokens: number): number[] {
  const buckets: number[] = [];
  for (let b = SMALLEST_BUCKET_TOKENS; b <= bucketCeiling(tokens); b *= 2) buckets.push(b);
  return buckets;
}

/** The sequence buckets the scenario compiled, smallest first, or null for NxD Inference's powers of two. */
function givenBuckets(input: LaunchInput): number[] | null {
  const buckets = input.candidate.pool.sequenceBuckets;
  return buckets ? [...buckets].sort((a, b) => a - b) : null;
}

/** The batch the decode graph was compiled for: the scenario's compiledBatch, else its batch limit. */
function compiledBatchOf(input: LaunchInput): number {
  return input.summary.staticShapes?.compiledBatch ?? input.summary.maxBatch;
}

export function neuronConfig(input: LaunchInput): Record<string, unknown> {
  const { summary, context } = input;
  // The shapes the plan simulated: the scenario's buckets where it gave them (the longest is the
  // sequence length; a prompt is padded to the next one), else powers of two up to what the traffic needs.
  const buckets = givenBuckets(input);
  const seqLen = buckets ? buckets[buckets.length - 1]! : bucketCeiling(context.maxContextTokens);
  const maxContextLength = buckets ? (buckets.find((b) => b >= context.maxInputTokens) ?? seqLen) : bucketCeiling(context.maxInputTokens);
  // Attention data parallelism is not written (see the note in emitNeuron): its chips join the tensor parallelism.
  const tpDegree = summary.tp * summary.attentionDp * input.logicalCoresPerChip;
  const batch = compiledBatchOf(input);
  const config: Record<string, unknown> = {
    tp_degree: tpDegree,
    ...(summary.pp > 1 ? { pp_degree: summary.pp } : {}),
    batch_size: batch,
    ctx_batch_size: 1,
    tkg_batch_size: batch,
    max_context_length: maxContextLength,
    seq_len: seqLen,
    is_continuous_batching: true,
    enable_bucketing: true,
    context_encoding_buckets: buckets ? buckets.filter((b) => b <= maxContextLength) : powerOfTwoBuckets(maxContextLength),
    token_generation_buckets: buckets ?? powerOfTwoBuckets(seqLen),
    torch_dtype: summary.precision === "fp16" ? "float16" : "bfloat16",
  };
  if (summary.ep > 1) {
    // The experts over ep chips; each expert's weights over the ranks that remain.
    config.moe_ep_degree = summary.ep;
    config.moe_tp_degree = tpDegree / summary.ep;
  }
  if (summary.precision === "fp8" || summary.precision === "mxfp8")
    Object.assign(config, {
      quantized: true,
      quantized_checkpoints_path: "QUANTIZED_CHECKPOINT_PATH",
      quantization_type: "per_channel_symmetric",
      quantization_dtype: "f8e4m3",
    });
  if (isQuantized(summary.kvCachePrecision)) config.kv_cache_quant = true;
  return config;
}

export function emitNeuron(input: LaunchInput): EmittedLaunch {
  const { summary, context } = input;
  const notes = sharedNotes(input);
  const spec = speculationOf(input);
  if (spec)
    notes.push(
      `speculative decoding (${spec.method}, k ${spec.draftTokens}) is not written into this launch: NxD Inference compiles it (speculation_length, a draft model or fused EAGLE) into the graphs; add it to the neuron_config by hand`,
    );
  const config = neuronConfig(input);
  const seqLen = config.seq_len as number;
  const tpDegree = config.tp_degree as number;
  // Without chunked prefill vLLM schedules a whole prompt at once: the token budget must hold the longest.
  // (and vLLM refuses a token budget below max_num_seqs).
  const batch = config.batch_size as number;
  const batchedTokens = Math.max(summary.maxTokensPerIteration, seqLen, batch);
  const flags: [string, string?][] = [
    ["--tensor-parallel-size", String(tpDegree)],
    // vLLM on Neuron runs max_num_seqs sequences in the compiled batch: they are the same number.
    ["--max-num-seqs", String(batch)],
    ["--max-model-len", String(seqLen)],
    ["--max-num-batched-tokens", String(batchedTokens)],
    ["--no-enable-chunked-prefill"],
    ["--no-enable-prefix-caching"],
    // Async scheduling on Neuron is the vllm-neuron plugin's (Trn2, Trn3), asked for where the plan simulated it.
    ...(summary.hostOverlap.value ? ([["--async-scheduling"]] as [string, string?][]) : []),
    ["--additional-config", shellWord(JSON.stringify({ override_neuron_config: config }))],
  ];
  notes.push(
    `tp ${tpDegree} NeuronCores: ${summary.tp * summary.attentionDp} chip${summary.tp * summary.attentionDp > 1 ? "s" : ""} x ${input.logicalCoresPerChip} logical cores (${input.chip.name} at its default logical-core setting); vLLM's --tensor-parallel-size counts cores on Neuron`,
    `compiled shapes: batch ${batch}, sequence ${seqLen} (${givenBuckets(input) ? `the scenario's longest bucket, for ${context.maxContextTokens} tokens of context` : `${context.maxContextTokens} rounded up to a power of two`}), prompts up to ${config.max_context_length as number}; a request is padded to the next bucket`,
    `${NEURON_CONFIG_FILE} holds the same override_neuron_config as the command, for NxD Inference's own scripts (NeuronConfig)`,
  );
  if (batch > summary.maxBatch)
    notes.push(
      `the plan admitted at most ${summary.maxBatch} requests at a time into a decode graph compiled for ${batch}; vLLM on Neuron admits up to the compiled batch, so this launch may run more at once than simulated`,
    );
  if (summary.attentionDp > 1)
    notes.push(
      `the plan simulated attention data parallelism (${summary.attentionDp} ranks of tp ${summary.tp}); this launch writes tensor parallelism over all ${tpDegree} cores of the replica's ${summary.tp * summary.attentionDp} chips instead: add NxD Inference's attention-DP settings by hand where your release has them`,
    );
  if (summary.chunkedPrefill)
    notes.push("the plan simulated chunked prefill; this launch compiles whole-prompt context encoding (the buckets above) instead");
  if (batchedTokens !== summary.maxTokensPerIteration)
    notes.push(
      `--max-num-batched-tokens ${batchedTokens}: without chunked prefill it must hold the longest sequence (the plan's budget was ${summary.maxTokensPerIteration})`,
    );
  if (summary.precision === "fp8" || summary.precision === "mxfp8")
    notes.push(
      "fp8 weights: set quantized_checkpoints_path (QUANTIZED_CHECKPOINT_PATH in the config) to an fp8-quantized copy of the checkpoint",
    );
  else if (isQuantized(summary.precision))
    notes.push(`${summary.precision} weights: NxD Inference quantizes to fp8 (f8e4m3) at the least; compiled in bfloat16 here`);
  if (summary.pp > 1) notes.push(`pp ${summary.pp}: written as pp_degree; check that NxD Inference pipelines this model`);
  return {
    engine: "neuron",
    command: commandLine(["vllm", "serve", input.modelArg], flags),
    files: [{ name: NEURON_CONFIG_FILE, contents: JSON.stringify(config, null, 2) + "\n" }],
    notes,
  };
}
