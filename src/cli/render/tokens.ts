/** Terminal rendering of the token reports: usage by period, the request windows in green, yellow
 * and red, published rate limits, and one run's ledger. Pure string building. */
import type { PublishedLimit } from '../../usage/published-limits.js';
import type { LimitsReport, RunLedger, SessionItem, BucketItem, TokenReport, UsageTotals, WindowReport } from '../../usage/report.js';
import { formatUsd, renderPanel, renderTable } from './table.js';

const COLOUR: Record<WindowReport['status'], string> = { green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m' };

export const count = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number): string => formatUsd(n, 4);
const minute = (iso: string): string => iso.replace(/:\d\d\.\d{3}Z$/, 'Z');

export function statusText(w: WindowReport, colour: boolean): string {
  const label = w.level === 'limit' ? 'red (limit)' : w.status;
  return colour ? `${COLOUR[w.status]}${label}\x1b[0m` : label;
}

export function windowLine(windows: readonly WindowReport[], colour: boolean): string {
  return windows.map((w) => `${w.window} ${count(w.requests)}/${count(w.limit)} (${w.pct}%, ${statusText(w, colour)})`).join(', ');
}

function totalsLine(name: string, t: UsageTotals, cache: boolean): string {
  const tokens = `in ${count(t.inputTokens)} out ${count(t.outputTokens)}${cache ? ` cache ${count(t.cacheReadTokens)}/${count(t.cacheWriteTokens)}` : ''}`;
  return `${name}: ${count(t.requests)} request${t.requests === 1 ? '' : 's'}, ${tokens}; cost ${usd(t.costUsd)} (estimate ${usd(t.estimatedCostUsd)})`;
}

const SPAN: Record<TokenReport['period'], string> = {
  hourly: 'last 24 hours, by hour',
  daily: 'last 30 days, by UTC day',
  session: 'sessions active in the last 7 days',
};

export function renderTokenReport(r: TokenReport, colour: boolean): string {
  const lines = [
    `Period: ${SPAN[r.period]} (${minute(r.from)} → ${minute(r.to)})`,
    totalsLine('Claude', r.providers.anthropic, true),
    totalsLine('Perplexity', r.providers.perplexity, false),
    `Request windows: ${windowLine(r.windows, colour)}`,
  ];
  if (!r.trackingEnabled) lines.push('Token tracking is off (TOKEN_TRACKING_ENABLED=false): nothing new is recorded.');
  const panel = renderPanel(`Token usage: ${r.period}`, lines);
  if (r.items.length === 0) return `${panel}\nno usage recorded in this period`;
  if (r.period === 'session') {
    const items = r.items as SessionItem[];
    const table = renderTable(
      'Sessions',
      [
        { header: 'Session' },
        { header: 'Operation' },
        { header: 'Runs', align: 'right' },
        { header: 'Requests', align: 'right' },
        { header: 'Input', align: 'right' },
        { header: 'Output', align: 'right' },
        { header: 'Cache r/w', align: 'right' },
        { header: 'Cost', align: 'right' },
        { header: 'Estimate', align: 'right' },
        { header: 'Last activity' },
      ],
      items.map((s) => [
        s.sessionId,
        s.operation,
        count(s.runs),
        count(s.requests),
        count(s.inputTokens),
        count(s.outputTokens),
        `${count(s.cacheReadTokens)}/${count(s.cacheWriteTokens)}`,
        usd(s.costUsd),
        usd(s.estimatedCostUsd),
        minute(s.lastActivityAt),
      ]),
    );
    return `${panel}\n${table}${r.hasMore ? '\nmore sessions are not shown' : ''}`;
  }
  const items = r.items as BucketItem[];
  const table = renderTable(
    r.period === 'hourly' ? 'By hour (UTC)' : 'By day (UTC)',
    [
      { header: r.period === 'hourly' ? 'Hour' : 'Day' },
      { header: 'Provider' },
      { header: 'Requests', align: 'right' },
      { header: 'Input', align: 'right' },
      { header: 'Output', align: 'right' },
      { header: 'Cache read', align: 'right' },
      { header: 'Cache write', align: 'right' },
      { header: 'Cost', align: 'right' },
      { header: 'Estimate', align: 'right' },
    ],
    items.map((b) => [
      r.period === 'hourly' ? b.start.slice(0, 13).replace('T', ' ') + ':00' : b.start.slice(0, 10),
      b.provider,
      count(b.requests),
      count(b.inputTokens),
      count(b.outputTokens),
      count(b.cacheReadTokens),
      count(b.cacheWriteTokens),
      usd(b.costUsd),
      usd(b.estimatedCostUsd),
    ]),
  );
  return `${panel}\n${table}`;
}

const perMinute = (n: number | null): string => (n === null ? '—' : count(n));

export function renderPublished(title: string, items: readonly PublishedLimit[]): string {
  return renderTable(
    title,
    [
      { header: 'Tier' },
      { header: 'Model' },
      { header: 'Requests/min', align: 'right' },
      { header: 'Input tok/min', align: 'right' },
      { header: 'Output tok/min', align: 'right' },
      { header: 'Tokens/min', align: 'right' },
    ],
    items.map((i) => [
      i.tier ?? '—',
      i.model,
      perMinute(i.requestsPerMinute),
      perMinute(i.inputTokensPerMinute),
      perMinute(i.outputTokensPerMinute),
      perMinute(i.tokensPerMinute),
    ]),
  );
}

export function renderLimits(r: LimitsReport, colour: boolean): string {
  const table = renderTable(
    'Claude request windows',
    [
      { header: 'Window' },
      { header: 'Requests', align: 'right' },
      { header: 'Limit', align: 'right' },
      { header: 'Used', align: 'right' },
      { header: 'Status' },
      { header: 'Tokens', align: 'right' },
      { header: 'Opened' },
      { header: 'Resets' },
    ],
    r.windows.map((w) => [
      w.window,
      count(w.requests),
      count(w.limit),
      `${w.pct}%`,
      statusText(w, colour),
      count(w.tokens),
      w.openedAt ? minute(w.openedAt) : '—',
      w.resetsAt ? minute(w.resetsAt) : 'no open window',
    ]),
  );
  const lines = [
    table,
    `green below ${r.thresholds.warningPct}%; yellow from ${r.thresholds.warningPct}% (TOKEN_WARNING_THRESHOLD: the runner says so); red from ${r.thresholds.criticalPct}% (TOKEN_CRITICAL_THRESHOLD: the runner waits for the window to reset); at the limit no analysis starts.`,
  ];
  if (!r.trackingEnabled) lines.push('Token tracking is off (TOKEN_TRACKING_ENABLED=false): windows are not counted, and analyses that spend are refused.');
  if (r.published) {
    lines.push(
      r.published.items.length
        ? renderPublished(`Published limits for ${r.published.model} (fetched ${minute(r.published.fetchedAt)})`, r.published.items)
        : `Published limits (fetched ${minute(r.published.fetchedAt)}) name no row for ${r.published.model}.`,
    );
  } else lines.push('No published limits stored: `cctrader fetch-limits` reads them.');
  return lines.join('\n');
}

/** Lines of one run's ledger for `analyze --show-tokens`. */
export function runLedgerLines(run: RunLedger | null, windows: readonly WindowReport[]): string[] {
  if (!run) return ['Tokens: nothing recorded for this analysis', `Request windows: ${windowLine(windows, false)}`];
  const t = run.total;
  const lines = [`Tokens (ledger, run ${run.runId}): ${count(t.requests)} model requests`];
  for (const q of run.requests) {
    lines.push(
      `  ${q.messageId ?? '(no message id)'}  ${q.model ?? '?'}  in ${count(q.inputTokens)} out ${count(q.outputTokens)} cache ${count(q.cacheReadTokens)}/${count(q.cacheWriteTokens)}  ${formatUsd(q.costUsd, 6)}${q.sdkCostUsd === null ? ' (estimate)' : ''}`,
    );
  }
  lines.push(
    `  total: in ${count(t.inputTokens)} out ${count(t.outputTokens)} cache ${count(t.cacheReadTokens)}/${count(t.cacheWriteTokens)}; cost ${formatUsd(t.costUsd, 6)} (SDK ${t.sdkCostUsd === null ? 'n/a' : formatUsd(t.sdkCostUsd, 6)}, our estimate ${formatUsd(t.estimatedCostUsd, 6)})`,
    `Request windows: ${windowLine(windows, false)}`,
  );
  return lines;
}
