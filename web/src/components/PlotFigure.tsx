// An Observable Plot chart as a component: drawn into its own element at the container's width,
// redrawn when the data or the width changes. Every chart has an aria-label; the pages put a table
// with the same numbers beside it.
import * as Plot from "@observablehq/plot";
import { useEffect, useRef, useState } from "preact/hooks";

export function useWidth(fallback = 640): [(el: HTMLElement | null) => void, number] {
  const [width, setWidth] = useState(fallback);
  const observer = useRef<ResizeObserver | null>(null);
  const ref = (el: HTMLElement | null) => {
    observer.current?.disconnect();
    if (!el) return;
    observer.current = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? fallback);
      if (w > 0) setWidth((old) => (Math.abs(old - w) > 4 ? w : old));
    });
    observer.current.observe(el);
  };
  return [ref, width];
}

export function PlotFigure({ options, label, testId }: { options: Plot.PlotOptions; label: string; testId?: string }) {
  const holder = useRef<HTMLDivElement>(null);
  const [measure, width] = useWidth();
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const chart = Plot.plot({
      ...options,
      width: Math.max(280, width),
      ariaLabel: label,
      style: { fontSize: "12px", ...((options.style as object) ?? {}) },
    });
    chart.setAttribute("role", "img");
    el.replaceChildren(chart);
    return () => chart.remove();
  }, [options, width, label]);
  return (
    <div class="chart" ref={measure} data-testid={testId}>
      <div ref={holder} />
    </div>
  );
}
