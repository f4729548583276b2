// A folded list of short statements under a counted title ("Assumptions (3)", "Notes (2)"): what a
// report says beside its figures, shown as the CLI prints its `assumed:` and `note:` lines.
export function DetailsList({ title, items, testId }: { title: string; items: readonly string[]; testId?: string }) {
  if (items.length === 0) return null;
  return (
    <details data-testid={testId}>
      <summary>
        {title} ({items.length})
      </summary>
      <ul>
        {items.map((item) => (
          <li>{item}</li>
        ))}
      </ul>
    </details>
  );
}
