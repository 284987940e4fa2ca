import type { Period, PnlReport } from '../../portfolio/pnl-report.js';
import type { Deps } from '../../deps.js';
import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { llmCostLines } from '../render/scorecard.js';
import { formatPct, formatUsd, renderPanel, renderTable } from '../render/table.js';

const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * An equity curve as a column chart `height` rows tall, two characters per point, with the
 * highest and lowest values on the axis and the first and last dates under it.
 */
export function renderEquityCurve(points: Array<{ t: string; equity: number }>, height = 8): string {
  if (points.length < 2) return '';
  const values = points.map((p) => p.equity);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const range = max - min || 1;
  const label = (v: number) => formatUsd(v, 0);
  const axis = Math.max(label(max).length, label(min).length);
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    let line = '';
    for (const v of values) {
      // Height of the column in eighths of a row.
      const eighths = Math.round(((v - min) / range) * (height - 1) * 8) + 8;
      const filled = Math.max(0, Math.min(8, eighths - row * 8));
      line += BLOCKS[filled]!.repeat(2);
    }
    const tick = row === height - 1 ? label(max) : row === 0 ? label(min) : '';
    rows.push(`${tick.padStart(axis)} ┤${line}`);
  }
  const first = points[0]!.t.slice(0, 10);
  const last = points[points.length - 1]!.t.slice(0, 10);
  const width = values.length * 2;
  rows.push(`${' '.repeat(axis)} └${'─'.repeat(width)}`);
  const dates = width >= first.length + last.length + 2 ? `${first}${last.padStart(width - first.length)}` : `${first} → ${last}`;
  rows.push(`${' '.repeat(axis + 2)}${dates}`);
  return rows.join('\n');
}

export function registerPnlReport(program: Command, ctx: CliContext): void {
  program
    .command('pnl-report')
    .description('profit and loss by symbol and overall, with an equity curve')
    .option('--portfolio <name>', 'portfolio name', 'default')
    .option('--period <period>', 'daily (last 7 days), weekly (4 weeks), monthly (12 months) or all', 'all')
    .option('--min-trades <n>', 'only symbols with at least this many trades', '1')
    .option('--json', 'print one JSON document')
    .option('--html <file>', 'also write the equity curve, drawdown and open positions as a self-contained HTML page')
    .action(async (opts: { portfolio: string; period: string; minTrades: string; json?: boolean; html?: string }) => {
      const { getPnlReport, PERIODS } = await import('../../portfolio/pnl-report.js');
      if (!(PERIODS as readonly string[]).includes(opts.period)) throw new AppError('INVALID_INPUT', `--period is one of ${PERIODS.join(', ')}`);
      const minTrades = Number(opts.minTrades);
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const r = await getPnlReport(deps, { portfolio: opts.portfolio, period: opts.period as Period, minTrades });
        if (opts.html) await writePnlHtml(deps, r, opts.html, ctx[opts.json ? 'err' : 'out']);
        if (opts.json) return ctx.json(r);
        for (const w of r.warnings ?? []) ctx.out(`warning: ${w}`);
        ctx.out(
          renderPanel('Portfolio P&L Report', [
            `Portfolio: ${r.portfolio}`,
            `Period: ${r.periodLabel}`,
            `Total P&L: ${formatUsd(r.totalPnl)} (${formatPct(r.totalPnlPct)})`,
            `Current Equity: ${formatUsd(r.equity)}`,
          ]),
        );
        ctx.out('');
        ctx.out(
          renderPanel('Performance', [
            `Realized: ${formatUsd(r.realizedPnl)}   Unrealized: ${formatUsd(r.unrealizedPnl)}`,
            `Closed trades: ${r.trades} (${r.wins} won, ${r.losses} lost)   Win rate: ${r.winRate === null ? '—' : `${r.winRate.toFixed(1)}%`}`,
            `Profit factor: ${r.profitFactor ?? '—'}   Expectancy: ${r.expectancy === null ? '—' : formatUsd(r.expectancy)}`,
            `Max drawdown: ${formatUsd(r.maxDrawdown)} (${r.maxDrawdownPct === null ? '—' : `${r.maxDrawdownPct}%`})`,
            `Fees paid: ${formatUsd(r.feesPaid)}   Funding paid: ${formatUsd(r.fundingPaid)}`,
          ]),
        );
        ctx.out('');
        ctx.out(renderPanel('LLM Spend vs P&L', llmCostLines(r.llmCost)));
        ctx.out('');
        if (r.bySymbol.items.length) {
          ctx.out(
            renderTable(
              'P&L by Symbol',
              [
                { header: 'Symbol' },
                { header: 'Total P&L', align: 'right' },
                { header: 'Realized', align: 'right' },
                { header: 'Unrealized', align: 'right' },
                { header: 'Trades', align: 'right' },
                { header: 'Win Rate', align: 'right' },
              ],
              r.bySymbol.items.map((s) => [
                s.symbol,
                formatUsd(s.totalPnl),
                formatUsd(s.realizedPnl),
                formatUsd(s.unrealizedPnl),
                String(s.trades),
                s.winRate === null ? '—' : `${s.winRate.toFixed(1)}%`,
              ]),
            ),
          );
        } else {
          ctx.out(`no symbol with at least ${minTrades} trade(s) in this period`);
        }
        const chart = renderEquityCurve(r.equityCurve);
        if (chart) {
          ctx.out('');
          ctx.out('Equity curve');
          ctx.out(chart);
        }
      });
    });
}

/** The P&L report's equity curve, drawdown and open positions as one self-contained HTML page. */
async function writePnlHtml(deps: Deps, r: PnlReport, file: string, say: (line: string) => void): Promise<void> {
  const [{ portfolioChart }, { writeHtmlReport }] = await Promise.all([import('../../charts/portfolio.js'), import('../../charts/html-report.js')]);
  const chart = await portfolioChart(deps, {
    portfolio: r.portfolio,
    period: r.periodLabel,
    from: r.from === null ? null : Date.parse(r.from),
    equity: r.equity,
    at: Date.parse(r.to),
    returnPct: r.totalPnlPct,
  });
  const path = await writeHtmlReport(file, chart, `cctrader · P&L ${r.portfolio} · ${r.periodLabel}`);
  say(`HTML report: ${path}`);
}
