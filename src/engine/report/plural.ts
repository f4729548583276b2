// Counts in words: "1 chip", "2 chips", "1,152 chips". One rule for every message and table.

/** `count` and the noun, singular for exactly one; `text` is how the count is written (default: as is). */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`, text = String(count)): string {
  return `${text} ${count === 1 ? noun : pluralNoun}`;
}
