import type { SignalStatusFilter } from '../../signals/history.js';
import type { Command } from 'commander';
import { SIGNAL_STATUSES } from '../../signals/statuses.js';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { formatUsd, renderTable } from '../render/table.js';

export function registerSignals(program: Command, ctx: CliContext): void {
  program
    .command('signals')
    .description('recent trading signals and what became of them')
    .option('--symbol <symbol>', 'only this symbol, e.g. BTC/USDT')
    .option('--limit <n>', 'how many (1-100)', '10')
    .option('--status <status>', `only ${SIGNAL_STATUSES.join(', ')}`)
    .option('--portfolio <name>', 'only signals for this portfolio')
    .option('--json', 'print one JSON document')
    .action(async (opts: { symbol?: string; limit: string; status?: string; portfolio?: string; json?: boolean }) => {
      const { getSignalHistory } = await import('../../signals/history.js');
      const limit = Number(opts.limit);
      if (opts.status !== undefined && !(SIGNAL_STATUSES as readonly string[]).includes(opts.status)) {
        throw new AppError('INVALID_INPUT', `--status is one of ${SIGNAL_STATUSES.join(', ')}`);
      }
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const history = await getSignalHistory(deps.db, {
          symbol: opts.symbol,
          limit,
          status: opts.status as SignalStatusFilter | undefined,
          portfolio: opts.portfolio,
        });
        if (opts.json) return ctx.json(history);
        if (history.items.length === 0) return ctx.out('no signals yet');
        ctx.out(
          renderTable(
            'Trading Signals',
            [
              { header: 'ID', align: 'right' },
              { header: 'Time (UTC)' },
              { header: 'Symbol' },
              { header: 'Dir' },
              { header: 'Conf', align: 'right' },
              { header: 'Entry', align: 'right' },
              { header: 'Stop', align: 'right' },
              { header: 'Target', align: 'right' },
              { header: 'Status' },
              { header: 'Code' },
              { header: 'Outcome' },
            ],
            history.items.map((s) => [
              String(s.id),
              s.at.slice(0, 16).replace('T', ' '),
              s.symbol,
              s.direction,
              String(s.confidence),
              String(s.entry),
              String(s.stopLoss),
              String(s.takeProfit),
              s.status,
              s.code ?? '',
              !s.position
                ? ''
                : s.position.state === 'open'
                  ? `open #${s.position.id}`
                  : `${s.position.exitReason} ${formatUsd(s.position.realizedPnl ?? 0)}`,
            ]),
          ),
        );
        if (history.hasMore) ctx.out(`more with --limit ${Math.min(100, limit * 2)}`);
      });
    });
}
