/** One row of the benchmark table `npm run bench` prints. */
export interface BenchResult {
  name: string;
  goal: string;
  result: string;
  /** Whether the goal was met; null when the row is informational. */
  ok: boolean | null;
}

/** Run `fn` `n` times in sequence; the durations in ms, sorted ascending. */
export async function timeSorted(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function printTable(rows: BenchResult[], write: (s: string) => void): void {
  const head = ['benchmark', 'goal', 'result', 'met'];
  const cells = rows.map((r) => [r.name, r.goal, r.result, r.ok === null ? '—' : r.ok ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  write([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n') + '\n');
}
