// A page for a capability whose engine is not in this build yet: it says so, and the app works around it.
const WHAT = {
  serve: {
    title: "Serve",
    body: "Latency (TTFT, TPOT, p50/p99) and throughput against load with the SLO drawn in, $ per 1M tokens, and KV-cache occupancy over time.",
  },
  reliability: { title: "Reliability", body: "Goodput and the best checkpoint interval against scale." },
  claims: { title: "Claims", body: "The claims report, with its charts." },
} as const;

export function PlaceholderPage({ page }: { page: keyof typeof WHAT }) {
  const { title, body } = WHAT[page];
  return (
    <section class="placeholder" aria-labelledby="placeholder-title" data-testid="placeholder">
      <h2 id="placeholder-title">{title}: not built yet</h2>
      <p>
        This capability is not in the simulator's engine yet, so there is nothing to compute here. When it lands, this page will show:{" "}
        {body}
      </p>
      <p>
        Meanwhile, the <a href="?page=train">Train</a> and <a href="?page=compare">Compare</a> pages work.
      </p>
    </section>
  );
}
