/** Terminal rendering of the scorecard: the calibration chart, group tables and LLM cost lines. Pure. */
import type { LlmCostBlock } from '../../outcomes/cost.js';
import type { GroupStats } from '../../outcomes/scorecard.js';
import { formatUsd, renderTable } from './table.js';

/** Dollars with cents, or four decimals under a dollar (one analysis can cost a fraction of a cent). */
export function formatCost(value: number | null): string {
  if (value === null) return '—';
  return formatUsd(value, Math.abs(value) < 1 && value !== 0 ? 4 : 2);
}

export function formatR(value: number | null, digits = 2): string {
  if (value === null) return '—';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}R`;
}

export const formatRate = (value: number | null): string => (value === null ? '—' : `${value.toFixed(1)}%`);

/**
 * Confidence bucket against hit rate, one text bar per bucket (`width` characters = 100 %), with
 * the average R and the counts: a calibrated analyst's bars grow down the chart.
 */
export function renderCalibration(rows: ReadonlyArray<GroupStats & { avgConfidence: number | null }>, width = 20): string {
  const label = Math.max(...rows.map((r) => r.key.length), 'conf'.length);
  const lines = [`${'conf'.padEnd(label)}  ${'hit rate'.padEnd(width + 7)}  avg R     decided/signals`];
  for (const r of rows) {
    const filled = r.hitRate === null ? 0 : Math.round((r.hitRate / 100) * width);
    const bar = r.hitRate === null ? '·'.repeat(width) : '█'.repeat(filled) + '░'.repeat(width - filled);
    lines.push(`${r.key.padEnd(label)}  ${bar} ${formatRate(r.hitRate).padStart(6)}  ${formatR(r.avgR).padStart(7)}   ${r.decided}/${r.signals}`);
  }
  return lines.join('\n');
}

export function renderGroups(title: string, first: string, rows: readonly GroupStats[]): string {
  return renderTable(
    title,
    [
      { header: first },
      { header: 'Signals', align: 'right' },
      { header: 'Decided', align: 'right' },
      { header: 'Target', align: 'right' },
      { header: 'Stop', align: 'right' },
      { header: 'Expired', align: 'right' },
      { header: 'Hit rate', align: 'right' },
      { header: 'Avg R', align: 'right' },
      { header: 'Total R', align: 'right' },
    ],
    rows.map((g) => [
      g.key,
      String(g.signals),
      String(g.decided),
      String(g.targets),
      String(g.stops),
      String(g.expired),
      formatRate(g.hitRate),
      formatR(g.avgR),
      formatR(g.totalR, 1),
    ]),
  );
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** ` (anthropic $3.0000, perplexity $0.0100)`, or nothing when nothing was spent. */
export function providerText(byProvider: Record<string, number>): string {
  const parts = Object.entries(byProvider).map(([p, v]) => `${p} ${formatCost(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The pnl-report panel lines of the llmCost block. */
export function llmCostLines(c: LlmCostBlock): string[] {
  return [
    `${capitalise(c.summary)}.`,
    `LLM spend: ${formatCost(c.spentUsd)}${providerText(c.byProvider)}, whole desk`,
    `Signals: ${c.signals} (${c.executed} executed)   Per signal: ${formatCost(c.perSignal)}   Per executed trade: ${formatCost(c.perExecutedTrade)}`,
    `Realized: ${formatUsd(c.realizedPnl)}   Net after LLM spend: ${formatUsd(c.netAfterLlm)}`,
  ];
}
