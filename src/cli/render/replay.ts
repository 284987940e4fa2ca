/** Terminal rendering of replays: the report panels, a small equity chart, and two replays side by side. */
import type { ReplayReport } from '../../replay/report.js';
import type { ReplayRunSummary } from '../../replay/runs.js';
import { formatPct, formatUsd, renderPanel, renderTable } from './table.js';

const pctOrDash = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : formatPct(v));
const numOrDash = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined ? '—' : v.toFixed(digits));

/**
 * The equity curve as a block chart: `width` columns (each the last point of its slice of the
 * curve), `height` rows, the start balance as a dotted line, min and max labelled.
 */
export function equityChart(points: ReadonlyArray<{ t: string; equity: number }>, start: number, width = 64, height = 10): string[] {
  if (points.length === 0) return ['(no equity points)'];
  const cols = Math.min(width, points.length);
  const values = Array.from({ length: cols }, (_, i) => points[Math.min(points.length - 1, Math.floor(((i + 1) * points.length) / cols) - 1)]!.equity);
  const lo = Math.min(start, ...values);
  const hi = Math.max(start, ...values);
  const span = hi - lo || 1;
  const rowOf = (v: number) => Math.round(((v - lo) / span) * (height - 1));
  const baseRow = rowOf(start);
  const lines: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    const cells = values.map((v) =>
      rowOf(v) >= row && row >= Math.min(rowOf(v), baseRow) && row <= Math.max(rowOf(v), baseRow) ? (v >= start ? '█' : '▒') : row === baseRow ? '·' : ' ',
    );
    const label = row === height - 1 ? formatUsd(hi, 0) : row === 0 ? formatUsd(lo, 0) : row === baseRow ? formatUsd(start, 0) : '';
    lines.push(`${label.padStart(10)} │${cells.join('')}`);
  }
  lines.push(`${' '.repeat(10)} └${'─'.repeat(cols)}`);
  lines.push(`${' '.repeat(12)}${points[0]!.t.slice(0, 16)}${' '.repeat(Math.max(1, cols - 32))}${points.at(-1)!.t.slice(0, 16)}`);
  return lines;
}

export function renderReplayReport(r: ReplayReport): string {
  const p = r.performance;
  const c = r.cycles as Record<string, number | Record<string, number>>;
  const codes = (m: unknown) =>
    Object.entries((m ?? {}) as Record<string, number>)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const head = renderPanel(`Replay ${r.id}`, [
    `${r.analyst} analyst, ${r.window.from.slice(0, 16)} → ${r.window.to.slice(0, 16)} UTC every ${r.window.every}: ${r.window.stepsRun}/${r.window.steps} steps, ${r.status}`,
    `${r.symbols.length} symbols; ${String(r.settings.maxMovers)} movers max per step at ≥ ${String(r.settings.thresholdPct)}%; spread ${String(r.settings.spreadBps)} bps, fills ${String(r.settings.fillMode)}`,
    `Return ${formatPct(p.totalReturnPct)} (${formatUsd(p.startBalance)} → ${formatUsd(p.finalEquity)})   max drawdown ${formatUsd(p.maxDrawdownUsd)} (${p.maxDrawdownPct.toFixed(2)}%)`,
    `Sharpe ${numOrDash(p.sharpe)}   Sortino ${numOrDash(p.sortino)}   profit factor ${numOrDash(p.profitFactor)}   win rate ${p.winRate === null ? '—' : `${p.winRate.toFixed(1)}%`}   expectancy ${p.expectancyR === null ? '—' : `${p.expectancyR.toFixed(2)}R`}`,
    `Trades ${p.trades} (${p.wins} won, ${p.losses} lost, ${p.openAtEnd} open at the end)   fees ${formatUsd(p.feesUsd)}   funding ${formatUsd(p.fundingUsd)}   in market ${p.timeInMarketPct.toFixed(1)}%`,
    `Buy and hold: BTC ${pctOrDash(r.benchmarks.btcBuyHoldPct)}, equal-weight basket of ${r.benchmarks.basketSymbols} ${pctOrDash(r.benchmarks.basketBuyHoldPct)}`,
    `Cycles ${String(c.cycles)}: analysed ${String(c.analysed)}, signals ${String(c.signals)} (executed ${String(c.executed)}, rejected ${String(c.rejected)}, recorded ${String(c.recorded)}), skipped ${String(c.skipped)} (${codes(c.skippedByCode)}), errors ${String(c.errors)}`,
    `LLM: ${r.llm.requests} requests, recorded ${formatUsd(r.llm.recordedUsd, 4)}, replayed worth ${formatUsd(r.llm.wouldHaveCostUsd, 4)}; a re-run costs ${formatUsd(r.llm.rerunCostUsd, 4)}${r.llm.cassette ? ` (cassette ${r.llm.cassette})` : ''}`,
  ]);
  const calibration = renderTable(
    'Signals by confidence',
    [
      { header: 'Confidence' },
      { header: 'Signals', align: 'right' },
      { header: 'Decided', align: 'right' },
      { header: 'Hit rate', align: 'right' },
      { header: 'Avg R', align: 'right' },
    ],
    r.scorecard.byConfidence.map((b) => [
      b.key,
      String(b.signals),
      String(b.decided),
      b.hitRate === null ? '—' : `${b.hitRate.toFixed(1)}%`,
      b.avgR === null ? '—' : b.avgR.toFixed(2),
    ]),
  );
  const chart = ['Equity', ...equityChart(r.equityCurve, p.startBalance)].join('\n');
  const warnings = r.warnings.map((w) => `warning: ${w}`).join('\n');
  return [head, calibration, chart, warnings].filter(Boolean).join('\n');
}

export function renderReplayList(items: readonly ReplayRunSummary[]): string {
  return renderTable(
    'Replays',
    [
      { header: 'ID' },
      { header: 'Analyst' },
      { header: 'Window (UTC)' },
      { header: 'Status' },
      { header: 'Return', align: 'right' },
      { header: 'Trades', align: 'right' },
    ],
    items.map((r) => [
      r.id,
      r.analyst,
      `${r.from.slice(0, 16)} → ${r.to.slice(0, 16)}`,
      r.status,
      pctOrDash(r.totalReturnPct),
      r.trades === null ? '—' : String(r.trades),
    ]),
  );
}

/** The rows `replay compare` shows, as [label, value of a, value of b]. */
export function comparisonRows(a: ReplayReport, b: ReplayReport): Array<[string, string, string]> {
  const row = (label: string, f: (r: ReplayReport) => string): [string, string, string] => [label, f(a), f(b)];
  return [
    row('Analyst', (r) => r.analyst),
    row('Window', (r) => `${r.window.from.slice(0, 10)} → ${r.window.to.slice(0, 10)} / ${r.window.every}`),
    row('Return', (r) => formatPct(r.performance.totalReturnPct)),
    row('Final equity', (r) => formatUsd(r.performance.finalEquity)),
    row('Max drawdown', (r) => `${r.performance.maxDrawdownPct.toFixed(2)}%`),
    row('Sharpe / Sortino', (r) => `${numOrDash(r.performance.sharpe)} / ${numOrDash(r.performance.sortino)}`),
    row('Profit factor', (r) => numOrDash(r.performance.profitFactor)),
    row('Win rate', (r) => (r.performance.winRate === null ? '—' : `${r.performance.winRate.toFixed(1)}%`)),
    row('Expectancy', (r) => (r.performance.expectancyR === null ? '—' : `${r.performance.expectancyR.toFixed(2)}R`)),
    row('Trades', (r) => String(r.performance.trades)),
    row('Fees + funding', (r) => formatUsd(r.performance.feesUsd + r.performance.fundingUsd)),
    row('Time in market', (r) => `${r.performance.timeInMarketPct.toFixed(1)}%`),
    row('BTC buy and hold', (r) => pctOrDash(r.benchmarks.btcBuyHoldPct)),
    row('Signal hit rate', (r) => (r.scorecard.hitRate === null ? '—' : `${r.scorecard.hitRate.toFixed(1)}%`)),
    row('LLM recorded / re-run', (r) => `${formatUsd(r.llm.recordedUsd, 4)} / ${formatUsd(r.llm.rerunCostUsd, 4)}`),
  ];
}

export function renderComparison(a: ReplayReport, b: ReplayReport): string {
  return renderTable('Replays compared', [{ header: '' }, { header: a.id }, { header: b.id }], comparisonRows(a, b));
}
