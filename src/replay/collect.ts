/** What a replay's own desk recorded, read back for its report: trades, fees, funding, cycle counts. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { type Dec, ZERO, toDec, usd } from '../shared/money.js';
import type { ReplayTrade } from './report.js';

export async function collectTrades(db: Kysely<DB>, portfolioId: number): Promise<{ trades: ReplayTrade[]; feesUsd: number; fundingUsd: number }> {
  const positions = await db.selectFrom('paper_positions').selectAll().where('portfolio_id', '=', portfolioId).orderBy('id').execute();
  const trades = positions.map((p): ReplayTrade => {
    const entry = toDec(p.entry_price);
    const qty = toDec(p.quantity);
    const risk = p.stop_loss === null ? null : entry.minus(toDec(p.stop_loss)).abs().times(qty);
    return {
      symbol: p.symbol,
      direction: p.direction,
      openedAt: p.opened_at,
      closedAt: p.status === 'closed' ? p.closed_at : null,
      entryPrice: Number(entry.toSignificantDigits(7)),
      exitPrice: p.exit_price === null ? null : Number(toDec(p.exit_price).toSignificantDigits(7)),
      quantity: qty.toNumber(),
      stopLoss: p.stop_loss === null ? null : Number(toDec(p.stop_loss).toSignificantDigits(7)),
      takeProfit: p.take_profit === null ? null : Number(toDec(p.take_profit).toSignificantDigits(7)),
      exitReason: p.exit_reason,
      realizedPnl: p.status === 'closed' && p.realized_pnl !== null ? usd(toDec(p.realized_pnl)) : null,
      riskUsd: risk === null ? null : usd(risk),
    };
  });
  const rows = await db.selectFrom('paper_trades').select(['trade_type', 'fee', 'pnl']).where('portfolio_id', '=', portfolioId).execute();
  let fees: Dec = ZERO;
  let funding: Dec = ZERO;
  for (const r of rows) {
    fees = fees.plus(toDec(r.fee));
    if (r.trade_type === 'funding') funding = funding.minus(toDec(r.pnl));
  }
  return { trades, feesUsd: usd(fees), fundingUsd: usd(funding) };
}

const bump = (map: Record<string, number>, key: string, n = 1): void => {
  map[key] = (map[key] ?? 0) + n;
};

/** The scan cycles of a replay, summed: analyses, signals, outcomes, and the codes of rejections, skips and errors. */
export async function collectCycles(db: Kysely<DB>): Promise<Record<string, number | Record<string, number>>> {
  const cycles = await db.selectFrom('scan_cycles').selectAll().execute();
  const totals = {
    cycles: cycles.length,
    movers: 0,
    analysed: 0,
    signals: 0,
    executed: 0,
    rejected: 0,
    recorded: 0,
    noSignal: 0,
    errors: 0,
    skipped: 0,
    positionsClosed: 0,
  };
  const rejectedByCode: Record<string, number> = {};
  const errorsByCode: Record<string, number> = {};
  for (const c of cycles) {
    totals.analysed += c.analysed;
    totals.signals += c.signals;
    totals.executed += c.executed;
    totals.rejected += c.rejected;
    totals.recorded += c.recorded;
    totals.noSignal += c.no_signal;
    totals.errors += c.errors;
    totals.skipped += c.skipped;
    totals.positionsClosed += c.positions_closed;
    for (const [k, v] of Object.entries(JSON.parse(c.rejected_by_code) as Record<string, number>)) bump(rejectedByCode, k, v);
    for (const [k, v] of Object.entries(JSON.parse(c.errors_by_code) as Record<string, number>)) bump(errorsByCode, k, v);
  }
  const skippedByCode: Record<string, number> = {};
  const movers = await db.selectFrom('scan_cycle_movers').select(['outcome', 'code']).execute();
  totals.movers = movers.length;
  for (const m of movers) if (m.outcome === 'skipped') bump(skippedByCode, m.code ?? 'UNKNOWN');
  const sorted = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  return { ...totals, rejectedByCode: sorted(rejectedByCode), skippedByCode: sorted(skippedByCode), errorsByCode: sorted(errorsByCode) };
}
