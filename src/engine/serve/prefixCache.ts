// Prefix caching on one replica, as vLLM's automatic prefix caching, SGLang's RadixAttention and
// TensorRT-LLM's KV block reuse keep it: the full KV blocks of a prompt's shared prefix stay in the
// cache after the request that computed them finishes, a later request with the same prefix takes
// them instead of recomputing them, and blocks no running request holds are evicted least recently
// used first when the cache needs room (vLLM's free-block queue, docs/design/prefix_caching.md).
// Only whole blocks are shared, and a hit always leaves the prompt's last token to compute, since
// its position must produce the first output token.

interface CachedPrefix {
  blocks: number;
  tokens: number;
  /** Running requests holding these blocks; at 0 they may be evicted. */
  refs: number;
}

export class PrefixCache {
  /** In least-recently-used order: a use moves an entry to the end. */
  private readonly entries = new Map<number, CachedPrefix>();
  /** Blocks held by cached prefixes that no running request holds: free for the taking, by eviction. */
  evictableBlocks = 0;

  /** Tokens and blocks of `group`'s prefix cached here, or null. */
  lookup(group: number): { tokens: number; blocks: number } | null {
    const e = this.entries.get(group);
    return e ? { tokens: e.tokens, blocks: e.blocks } : null;
  }

  /** A request starts holding `group`'s cached blocks. */
  acquire(group: number): void {
    const e = this.entries.get(group)!;
    if (e.refs === 0) this.evictableBlocks -= e.blocks;
    e.refs++;
    this.entries.delete(group);
    this.entries.set(group, e);
  }

  /** A request stops holding them (finished, preempted, or not admitted after all). */
  release(group: number): void {
    const e = this.entries.get(group)!;
    e.refs--;
    if (e.refs === 0) this.evictableBlocks += e.blocks;
  }

  /** A request that computed `group`'s prefix leaves its first `blocks` blocks in the cache, still holding them. */
  insert(group: number, blocks: number, tokens: number): void {
    this.entries.set(group, { blocks, tokens, refs: 1 });
  }

  /** A request holding `group`'s prefix adds `blocks` of its own to it, which now covers `tokens`. */
  grow(group: number, blocks: number, tokens: number): void {
    const e = this.entries.get(group)!;
    e.blocks += blocks;
    e.tokens = tokens;
  }

  /** Drops `group`'s prefix if no request holds it, returning its blocks; null if one does. */
  remove(group: number): number | null {
    const e = this.entries.get(group);
    if (!e) return 0;
    if (e.refs > 0) return null;
    this.entries.delete(group);
    this.evictableBlocks -= e.blocks;
    return e.blocks;
  }

  /** Evicts unheld prefixes, least recently used first, until at least `blocks` are freed; returns the blocks freed. */
  evict(blocks: number): number {
    let freed = 0;
    for (const [group, e] of this.entries) {
      if (freed >= blocks) break;
      if (e.refs > 0) continue;
      this.entries.delete(group);
      this.evictableBlocks -= e.blocks;
      freed += e.blocks;
    }
    return freed;
  }
}
