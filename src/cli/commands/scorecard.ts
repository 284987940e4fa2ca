import type { Scorecard } from '../../outcomes/scorecard.js';
import type { AnalystFilter } from '../../outcomes/signals.js';
import type { Command } from 'commander';
import { ANALYSTS } from '../../outcomes/vocabulary.js';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatCost, formatR, formatRate, providerText, renderCalibration, renderGroups } from '../render/scorecard.js';
import { formatUsd, renderPanel, renderTable } from '../render/table.js';

const hours = (h: number | null): string => (h === null ? '—' : h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(1)} h`);

function summaryLines(r: Scorecard): string[] {
  const t = r.totals;
  const e = r.evaluation;
  const decided = Object.values(e.decided).reduce((a, b) => a + (b ?? 0), 0);
  return [
    `Signals since ${r.since ? r.since.slice(0, 16).replace('T', ' ') : 'the start'} (${r.analyst === 'all' ? 'all analysts' : `analyst ${r.analyst}`}), horizon ${r.horizonHours} h`,
    `Signals: ${t.signals}   Decided: ${t.decided} (${t.targets} target, ${t.stops} stop, ${t.expired} expired)   Pending: ${t.pending}   Unscored: ${t.unscored}`,
    `Hit rate: ${formatRate(t.hitRate)}   Avg R: ${formatR(t.avgR)}   Total R: ${formatR(t.totalR, 1)}`,
    `Avg MFE: ${formatR(t.avgMfeR)}   Avg MAE: ${formatR(t.avgMaeR)}   Median time to target: ${hours(t.medianHoursToTarget)}, to stop: ${hours(t.medianHoursToStop)}`,
    `Updated now: ${e.evaluated} signal(s) read, ${decided} decided, ${e.candlesRead} candles${e.errors ? `, ${e.errors} left for later (market errors)` : ''}${e.hasMore ? ', more to do next run' : ''}`,
  ];
}

function costLines(r: Scorecard): string[] {
  const c = r.cost;
  const head = c.summary.charAt(0).toUpperCase() + c.summary.slice(1);
  return [
    `${head}.`,
    `LLM spend: ${formatCost(c.spentUsd)}${r.analyst === 'all' ? providerText(c.byProvider) : ` (${r.analyst})`}`,
    `Analyses: ${c.analyses}   Signals: ${c.signals}   Executed: ${c.executed}   Closed trades: ${c.closedTrades}`,
    `Per analysis: ${formatCost(c.perAnalysis)}   Per signal: ${formatCost(c.perSignal)}   Per executed trade: ${formatCost(c.perExecutedTrade)}`,
    `Realized P&L of these signals: ${formatUsd(c.realizedPnl)}   Net after LLM spend: ${formatUsd(c.netUsd)}`,
  ];
}

/** The scorecard as the terminal shows it: summary, calibration, the groupings, then what the LLM spend bought. */
function renderScorecard(r: Scorecard): string[] {
  const out = [renderPanel('Signal Scorecard', summaryLines(r))];
  if (r.totals.signals === 0) return [...out, 'no signals in this window'];
  out.push('', 'Calibration: confidence → hit rate (target before stop)', renderCalibration(r.byConfidence));
  out.push('', renderGroups('By Analyst', 'Analyst', r.byAnalyst));
  out.push('', renderGroups('Executed vs Rejected', 'Desk decision', r.byStatus));
  if (r.rejectedByCode.length) out.push('', renderGroups('Rejected, by Reason', 'Code', r.rejectedByCode));
  out.push('', renderGroups('By Direction', 'Direction', r.byDirection));
  out.push('', renderGroups(r.bySymbol.hasMore ? 'By Symbol (top 10)' : 'By Symbol', 'Symbol', r.bySymbol.items));
  out.push('', renderPanel('LLM Spend vs Outcomes', costLines(r)));
  return [...out, ...costTables(r)];
}

function costTables(r: Scorecard): string[] {
  const out: string[] = [];
  const right = (header: string) => ({ header, align: 'right' as const });
  if (r.cost.byAnalyst.length) {
    out.push(
      '',
      renderTable(
        'Cost by Analyst',
        [{ header: 'Analyst' }, right('Spent'), right('Analyses'), right('Signals'), right('Executed'), right('Per signal'), right('Realized')],
        r.cost.byAnalyst.map((a) => [
          a.analyst,
          formatCost(a.spentUsd),
          String(a.analyses),
          String(a.signals),
          String(a.executed),
          formatCost(a.perSignal),
          formatUsd(a.realizedPnl),
        ]),
      ),
    );
  }
  const plain = [right('Spent'), right('Signals'), right('Executed'), right('Realized')];
  if (r.cost.bySymbol.items.length) {
    out.push(
      '',
      renderTable(
        r.cost.bySymbol.hasMore ? 'Cost by Symbol (top 10 by spend)' : 'Cost by Symbol',
        [{ header: 'Symbol' }, ...plain],
        r.cost.bySymbol.items.map((x) => [x.symbol, formatCost(x.spentUsd), String(x.signals), String(x.executed), formatUsd(x.realizedPnl)]),
      ),
    );
  }
  if (r.cost.byDay.length) {
    out.push(
      '',
      renderTable(
        'Cost by Day (UTC)',
        [{ header: 'Day' }, ...plain],
        r.cost.byDay.map((d) => [d.day, formatCost(d.spentUsd), String(d.signals), String(d.executed), formatUsd(d.realizedPnl)]),
      ),
    );
  }
  return out;
}

export function registerScorecard(program: Command, ctx: CliContext): void {
  program
    .command('scorecard')
    .description('how past signals played out (target or stop first, in R) by confidence, analyst, symbol; LLM spend vs P&L')
    .option('--since <when>', 'ISO date/time or a span back from now: 7d, 12h, 30m (default: every signal)')
    .option('--analyst <who>', `only signals by ${ANALYSTS.join(', ')} (manual = not from a scan cycle)`)
    .option('--json', 'print one JSON document')
    .option('--html <file>', 'also write the calibration chart as a self-contained HTML page')
    .action(async (opts: { since?: string; analyst?: string; json?: boolean; html?: string }) => {
      const { getSignalScorecard } = await import('../../outcomes/scorecard.js');
      if (opts.analyst !== undefined && !(ANALYSTS as readonly string[]).includes(opts.analyst)) {
        throw new AppError('INVALID_INPUT', `--analyst is one of ${ANALYSTS.join(', ')}`);
      }
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const r = await getSignalScorecard(deps, { since: opts.since, analyst: opts.analyst as AnalystFilter | undefined });
        if (opts.html) {
          const [{ scorecardChart }, { writeHtmlReport }] = await Promise.all([import('../../charts/scorecard.js'), import('../../charts/html-report.js')]);
          const path = await writeHtmlReport(opts.html, scorecardChart(r), 'cctrader · signal calibration');
          ctx[opts.json ? 'err' : 'out'](`HTML report: ${path}`);
        }
        if (opts.json) return ctx.json(r);
        ctx.out(renderScorecard(r).join('\n'));
      });
    });
}
