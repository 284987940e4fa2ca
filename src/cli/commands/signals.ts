import type { Command } from 'commander';
import type { SignalDetail, SignalStatusFilter } from '../../signals/history.js';
import { SIGNAL_STATUSES } from '../../signals/statuses.js';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { cutAtWord, formatPrice, formatUsd, renderPanel, renderTable, wrapText } from '../render/table.js';

interface Options {
  id?: string;
  symbol?: string;
  limit: string;
  status?: string;
  portfolio?: string;
  json?: boolean;
}

export function registerSignals(program: Command, ctx: CliContext): void {
  program
    .command('signals')
    .description('recent trading signals, the analysis behind each, and what became of them')
    .option('--id <n>', 'one signal whole: levels, decision, reason code, analysis, position outcome')
    .option('--symbol <symbol>', 'only this symbol, e.g. BTC/USDT')
    .option('--limit <n>', 'how many (1-100)', '10')
    .option('--status <status>', `only ${SIGNAL_STATUSES.join(', ')}`)
    .option('--portfolio <name>', 'only signals for this portfolio')
    .option('--json', 'print one JSON document (analyses in full)')
    .action(async (opts: Options) => {
      const { getSignal, getSignalHistory } = await import('../../signals/history.js');
      if (opts.id !== undefined) {
        const id = Number(opts.id);
        if (!Number.isInteger(id) || id < 1) throw new AppError('INVALID_INPUT', `--id is a signal id (a whole number), got ${opts.id}`);
        return ctx.withApp(ctx.config(), async ({ deps }) => {
          const signal = await getSignal(deps.db, id);
          if (opts.json) return ctx.json(signal);
          ctx.out(renderPanel(`Signal #${signal.id}`, signalLines(signal)));
        });
      }
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
              { header: 'Analysis' },
            ],
            history.items.map((s) => [
              String(s.id),
              s.at.slice(0, 16).replace('T', ' '),
              s.symbol,
              s.direction,
              String(s.confidence),
              formatPrice(s.entry),
              formatPrice(s.stopLoss),
              formatPrice(s.takeProfit),
              s.status,
              s.code ?? '',
              !s.position ? '' : s.position.state === 'open' ? `open #${s.position.id}` : `${s.position.exitReason} ${formatUsd(s.position.realizedPnl ?? 0)}`,
              cutAtWord(s.analysis, 48),
            ]),
          ),
        );
        ctx.out('`cctrader signals --id N` shows one signal whole, with its analysis');
        if (history.hasMore) ctx.out(`more with --limit ${Math.min(100, limit * 2)}`);
      });
    });
}

/** One signal, whole, as panel lines (the analysis wrapped at 96 characters). */
function signalLines(s: SignalDetail): string[] {
  const lines = [
    `${s.symbol} ${s.direction}, confidence ${s.confidence}, ${s.at}${s.portfolio ? `, portfolio ${s.portfolio}` : ''}`,
    `Entry ${formatPrice(s.entry)}   Stop ${formatPrice(s.stopLoss)}   Target ${formatPrice(s.takeProfit)}${s.timeframe ? `   Timeframe ${s.timeframe}` : ''}`,
    `Scores: technical ${s.technicalScore ?? '—'}, sentiment ${s.sentimentScore ?? '—'}${s.signalId ? `   signal_id ${s.signalId}` : ''}`,
    `Decision: ${s.status}${s.code ? ` ${s.code}` : ''}${s.reason ? ` — ${s.reason}` : ''}`,
  ];
  const fill = s.decision?.fill as { price?: number; quantity?: number; notional?: number; fee?: number } | null | undefined;
  if (fill) lines.push(`Fill: ${fill.quantity} at ${formatPrice(fill.price)}, notional ${formatUsd(fill.notional ?? 0)}, fee ${formatUsd(fill.fee ?? 0, 4)}`);
  const numbers = Object.entries(s.decision?.numbers ?? {});
  if (numbers.length) lines.push(`Numbers: ${numbers.map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
  const p = s.position;
  if (p) {
    lines.push(
      p.state === 'open'
        ? `Position #${p.id}: open since ${p.openedAt}, ${p.quantity} at ${formatPrice(p.entryPrice)}`
        : `Position #${p.id}: closed ${p.closedAt} by ${p.exitReason} at ${formatPrice(p.exitPrice)}, net ${formatUsd(p.realizedPnl ?? 0)}`,
    );
  }
  lines.push('', 'Analysis:', ...(wrapText(s.analysis, 96).length ? wrapText(s.analysis, 96) : ['(none)']));
  return lines;
}
