import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatPct, formatUsd, renderPanel, renderTable } from '../render/table.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('paper portfolio status: equity, cash, open positions (runs due stops and targets first)')
    .option('--symbol <symbol>', 'only positions on this symbol')
    .option('--portfolio <name>', 'portfolio name', 'default')
    .option('--json', 'print one JSON document')
    .action(async (opts: { symbol?: string; portfolio: string; json?: boolean }) => {
      const { getPortfolioStatus } = await import('../../portfolio/status.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const s = await getPortfolioStatus(deps, { portfolio: opts.portfolio, symbol: opts.symbol });
        if (opts.json) return ctx.json(s);
        const state = s.halted ? `HALTED${s.haltReason ? ` (${s.haltReason})` : ''}` : s.breaker.tripped ? 'daily loss breaker TRIPPED' : 'trading';
        ctx.out(
          renderPanel('Portfolio Status', [
            `Portfolio: ${s.portfolio}`,
            `Equity: ${formatUsd(s.equity)} (${formatPct(s.returnPct)} since start at ${formatUsd(s.startingBalance)})`,
            `Cash: ${formatUsd(s.cash)}   Margin: ${formatUsd(s.margin)}   Unrealized: ${formatUsd(s.unrealizedPnl)}`,
            `Realized P&L: ${formatUsd(s.realizedPnl)}   Exposure: ${formatUsd(s.exposure)} (${s.exposurePct ?? 0}%)`,
            `State: ${state}   Today: ${formatUsd(s.breaker.realizedToday)} (limit ${formatUsd(s.breaker.limit)})`,
          ]),
        );
        for (const w of s.warnings ?? []) ctx.out(`warning: ${w}`);
        for (const c of s.justClosed) {
          ctx.out(`closed #${c.id} ${c.symbol} ${c.direction} by ${c.reason} at ${c.exitPrice}: ${formatUsd(c.realizedPnl)} net`);
        }
        if (s.positions.items.length === 0) return ctx.out(opts.symbol ? `no open position on ${opts.symbol}` : 'no open positions');
        ctx.out(
          renderTable(
            'Open Positions',
            [
              { header: 'ID', align: 'right' },
              { header: 'Symbol' },
              { header: 'Side' },
              { header: 'Qty', align: 'right' },
              { header: 'Entry', align: 'right' },
              { header: 'Mark', align: 'right' },
              { header: 'Stop', align: 'right' },
              { header: 'Target', align: 'right' },
              { header: 'Unrealized', align: 'right' },
            ],
            s.positions.items.map((p) => [
              String(p.id),
              p.symbol,
              p.direction,
              String(p.quantity),
              String(p.entryPrice),
              p.stale ? `${p.markPrice} (stale, ${p.markAt.slice(11, 16)}Z)` : String(p.markPrice),
              p.stopLoss === null ? '—' : String(p.stopLoss),
              p.takeProfit === null ? '—' : String(p.takeProfit),
              `${formatUsd(p.unrealizedPnl)} (${formatPct(p.unrealizedPct)})`,
            ]),
          ),
        );
      });
    });
}
