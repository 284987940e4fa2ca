/**
 * The signals the scorecard grades: every stored signal in a window, with its outcome, the analyst
 * that produced it and the paper position it opened.
 *
 * Analyst: a signal submitted by a scan cycle carries that cycle's deterministic signal_id, and the
 * cycle's mover row (scan_cycle_movers) names the analyst (`claude` or `rules`). Any other signal
 * (an MCP client's submit_trading_signal, `cctrader analyze`/`monitor`) is `manual`.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { toDec, type Dec } from '../shared/money.js';
import type { OutcomeStatus } from './evaluate.js';

import type { AnalystFilter } from './vocabulary.js';

export type { AnalystFilter };

export interface ScoredSignal {
  id: number;
  createdAt: number;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  status: 'recorded' | 'rejected' | 'executed' | 'failed';
  reasonCode: string | null;
  analyst: string;
  /** Null until the evaluator has looked at it. */
  outcome: OutcomeStatus | null;
  resultR: number | null;
  mfeR: number;
  maeR: number;
  timeToHitMs: number | null;
  /** The paper position it opened: realized P&L once closed (net of fees and funding). */
  position: { closedAt: number | null; realizedPnl: Dec | null } | null;
}

interface Row {
  id: number;
  created_at: number;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  status: ScoredSignal['status'];
  reason_code: string | null;
  analyst: string;
  outcome: OutcomeStatus | null;
  result_r: number | null;
  mfe_r: number | null;
  mae_r: number | null;
  time_to_hit_ms: number | null;
  position_id: number | null;
  position_closed_at: number | null;
  realized_pnl: string | null;
}

export async function loadScoredSignals(db: Kysely<DB>, filter: { since: number | null; analyst: AnalystFilter | null }): Promise<ScoredSignal[]> {
  const analystExpr = sql<string>`coalesce((select m.analyst from scan_cycle_movers m where m.signal_id = s.signal_id limit 1), 'manual')`;
  let q = db
    .selectFrom('movers_signals as s')
    .leftJoin('signal_outcomes as o', 'o.signal_row_id', 's.id')
    .leftJoin('paper_positions as p', 'p.id', 's.position_id')
    .select([
      's.id',
      's.created_at',
      's.symbol',
      's.direction',
      's.confidence',
      's.status',
      's.reason_code',
      analystExpr.as('analyst'),
      'o.status as outcome',
      'o.result_r',
      'o.mfe_r',
      'o.mae_r',
      'o.time_to_hit_ms',
      's.position_id',
      'p.closed_at as position_closed_at',
      'p.realized_pnl',
    ]);
  if (filter.since !== null) q = q.where('s.created_at', '>=', filter.since);
  if (filter.analyst !== null) q = q.where(analystExpr, '=', filter.analyst);
  const rows = (await q.orderBy('s.id').execute()) as Row[];
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    symbol: r.symbol,
    direction: r.direction,
    confidence: r.confidence,
    status: r.status,
    reasonCode: r.reason_code,
    analyst: r.analyst,
    outcome: r.outcome,
    resultR: r.result_r,
    mfeR: r.mfe_r ?? 0,
    maeR: r.mae_r ?? 0,
    timeToHitMs: r.time_to_hit_ms,
    position:
      r.position_id === null
        ? null
        : { closedAt: r.position_closed_at, realizedPnl: r.position_closed_at !== null && r.realized_pnl !== null ? toDec(r.realized_pnl) : null },
  }));
}

/** `SOL/USDT:USDT`, `SOL/USDT` → `SOL/USDT`: the token ledger and the signals name markets differently. */
export function symbolKey(symbol: string): string {
  return (symbol.split(':')[0] ?? symbol).toUpperCase();
}
