/** The scorecard's groups and calibration buckets, and the cost join, over known rows. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderCalibration } from '../../src/cli/render/scorecard.js';
import { costSummary, llmCostForPeriod } from '../../src/outcomes/cost.js';
import { confidenceBucket, getSignalScorecard, parseSince } from '../../src/outcomes/scorecard.js';
import { Dec } from '../../src/shared/money.js';
import { HOUR, T0, insertSignal, outcomeHarness, type OutcomeHarness } from './helpers.js';

let h: OutcomeHarness;
let portfolioId: number;

beforeEach(async () => {
  h = await outcomeHarness();
  const db = h.deps.db;
  h.clock.t = T0 + 30 * HOUR;
  portfolioId = (
    await db
      .insertInto('paper_portfolios')
      .values({ name: 'default', starting_balance: '10000', cash: '10000', created_at: T0, updated_at: T0 })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;

  // Two scan cycles: Claude analysed SOL (signal, executed) and XRP (no signal); the rules analyst DOGE (rejected).
  for (const [id, analyst, at] of [
    ['scan-1', 'claude', T0],
    ['scan-2', 'rules', T0 + HOUR],
  ] as const) {
    await db.insertInto('scan_cycles').values({ id, started_at: at, heartbeat_at: at, status: 'completed', analyst, portfolio: 'default' }).execute();
  }
  const mover = (cycle: string, symbol: string, outcome: 'executed' | 'rejected' | 'no_signal', analyst: string, cost: string, start: number, end: number) =>
    db
      .insertInto('scan_cycle_movers')
      .values({
        cycle_id: cycle,
        symbol,
        rank: 1,
        change_24h_pct: 7,
        last_price: 1,
        turnover_24h_usd: 1e8,
        outcome,
        analyst,
        signal_id: `${cycle}:${symbol.split('/')[0]}USDT`,
        cost_usd: cost,
        started_at: start,
        finished_at: end,
      })
      .execute();
  await mover('scan-1', 'SOL/USDT:USDT', 'executed', 'claude', '0.30', T0, T0 + 60_000);
  await mover('scan-1', 'XRP/USDT:USDT', 'no_signal', 'claude', '0.20', T0, T0 + 50_000);
  await mover('scan-2', 'DOGE/USDT:USDT', 'rejected', 'rules', '0', T0 + HOUR, T0 + HOUR + 5_000);

  // The token ledger: the scanner's runs, Perplexity lookups inside and outside analyses, an `analyze` run.
  const usage = (provider: string, operation: string, symbol: string, cost: string, at: number) =>
    db.insertInto('token_usage').values({ provider, operation_type: operation, symbol, cost_usd: cost, created_at: at, model: 'm' }).execute();
  await usage('anthropic', 'scanner', 'SOL/USDT', '0.30', T0 + 60_000);
  await usage('anthropic', 'scanner', 'XRP/USDT', '0.20', T0 + 50_000);
  await usage('perplexity', 'sentiment', 'SOL/USDT:USDT', '0.005', T0 + 10_000); // during Claude's SOL analysis
  await usage('perplexity', 'sentiment', 'DOGE/USDT:USDT', '0.005', T0 + HOUR + 2_000); // during the rules analysis
  await usage('anthropic', 'analysis', 'BTC/USDT', '0.40', T0 + 2 * HOUR); // cctrader analyze
  await usage('perplexity', 'sentiment', 'BTC/USDT:USDT', '0.005', T0 + 2 * HOUR - 10_000);

  const position = (symbol: string, pnl: string, closedAt: number) =>
    db
      .insertInto('paper_positions')
      .values({
        portfolio_id: portfolioId,
        symbol,
        direction: 'long',
        entry_price: '1',
        quantity: '1',
        status: 'closed',
        opened_at: T0,
        closed_at: closedAt,
        realized_pnl: pnl,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  const solPos = (await position('SOL/USDT:USDT', '12.5', T0 + 3 * HOUR)).id;
  const btcPos = (await position('BTC/USDT:USDT', '-4.25', T0 + 26 * HOUR)).id;

  const sig = async (s: Parameters<typeof insertSignal>[1], outcome: { status: 'take_profit' | 'stop_loss' | 'expired'; r: number; hitMs: number | null }) => {
    const id = await insertSignal(h.deps, s);
    await db.updateTable('movers_signals').set({ portfolio_id: portfolioId }).where('id', '=', id).execute();
    await db
      .insertInto('signal_outcomes')
      .values({
        signal_row_id: id,
        status: outcome.status,
        horizon_end: s.at + 72 * HOUR,
        result_r: outcome.r,
        mfe_r: Math.max(outcome.r, 0.5),
        mae_r: -0.5,
        time_to_hit_ms: outcome.hitMs,
        updated_at: T0,
      })
      .execute();
    return id;
  };
  await sig(
    {
      at: T0 + 30_000,
      symbol: 'SOL/USDT:USDT',
      confidence: 82,
      entry: 100,
      stop: 98,
      target: 105,
      status: 'executed',
      signalId: 'scan-1:SOLUSDT',
      positionId: solPos,
    },
    { status: 'take_profit', r: 2.5, hitMs: 3 * HOUR },
  );
  await sig(
    {
      at: T0 + HOUR + 3_000,
      symbol: 'DOGE/USDT:USDT',
      confidence: 65,
      entry: 1,
      stop: 0.9,
      target: 1.3,
      status: 'rejected',
      code: 'STOP_TOO_WIDE',
      signalId: 'scan-2:DOGEUSDT',
    },
    { status: 'stop_loss', r: -1, hitMs: HOUR },
  );
  await sig(
    { at: T0 + 2 * HOUR, symbol: 'BTC/USDT:USDT', confidence: 91, entry: 100, stop: 99, target: 103, status: 'executed', positionId: btcPos },
    { status: 'stop_loss', r: -1.2, hitMs: 2 * HOUR },
  );
  await sig(
    {
      at: T0 + 2 * HOUR + 60_000,
      symbol: 'ETH/USDT:USDT',
      direction: 'short',
      confidence: 40,
      entry: 100,
      stop: 102,
      target: 95,
      status: 'recorded',
      code: 'LOW_CONFIDENCE',
    },
    { status: 'expired', r: 0.3, hitMs: null },
  );
  // A fresh signal not yet evaluated: pending, in no rate.
  await insertSignal(h.deps, { at: T0 + 29 * HOUR, symbol: 'SOL/USDT:USDT', confidence: 75, entry: 100, stop: 98, target: 104 });
});

afterEach(async () => {
  await h.close();
});

describe('calibration buckets', () => {
  it('put each confidence in its decade, below 60 and 90+ at the ends', () => {
    expect([0, 59, 59.9, 60, 69, 70, 79.5, 80, 89, 90, 100].map(confidenceBucket)).toEqual([
      '<60',
      '<60',
      '<60',
      '60-69',
      '60-69',
      '70-79',
      '70-79',
      '80-89',
      '80-89',
      '90+',
      '90+',
    ]);
  });

  it('group the signals: hit rate = targets ÷ decided, avg R over decided, empty buckets listed', async () => {
    const card = await getSignalScorecard(h.deps, { evaluate: false });
    expect(card.byConfidence.map((b) => [b.key, b.signals, b.decided, b.hitRate, b.avgR])).toEqual([
      ['<60', 1, 1, 0, 0.3],
      ['60-69', 1, 1, 0, -1],
      ['70-79', 1, 0, null, null],
      ['80-89', 1, 1, 100, 2.5],
      ['90+', 1, 1, 0, -1.2],
    ]);
    expect(card.totals).toMatchObject({
      signals: 5,
      decided: 4,
      pending: 1,
      targets: 1,
      stops: 2,
      expired: 1,
      hitRate: 25,
      avgR: 0.15,
      totalR: 0.6,
      unscored: 0,
      medianHoursToTarget: 3,
      medianHoursToStop: 1.5,
    });
    const byStatus = Object.fromEntries(card.byStatus.map((g) => [g.key, [g.signals, g.hitRate, g.avgR]]));
    expect(byStatus).toEqual({ executed: [2, 50, 0.65], rejected: [1, 0, -1], recorded: [2, 0, 0.3] });
    expect(card.rejectedByCode).toEqual([expect.objectContaining({ key: 'STOP_TOO_WIDE', signals: 1, avgR: -1 })]);
    expect(Object.fromEntries(card.byAnalyst.map((g) => [g.key, g.signals]))).toEqual({ claude: 1, rules: 1, manual: 3 });
    expect(Object.fromEntries(card.byDirection.map((g) => [g.key, g.decided]))).toEqual({ long: 3, short: 1 });

    const chart = renderCalibration(card.byConfidence).split('\n');
    expect(chart).toHaveLength(6);
    expect(chart[4]).toMatch(/^80-89 +█{20} +100\.0% +\+2\.50R +1\/1$/);
    expect(chart[3]).toMatch(/^70-79 +·{20} +— +— +0\/1$/);
  });

  it('filter by analyst and by time', async () => {
    const rules = await getSignalScorecard(h.deps, { evaluate: false, analyst: 'rules' });
    expect(rules.totals).toMatchObject({ signals: 1, stops: 1 });
    const recent = await getSignalScorecard(h.deps, { evaluate: false, since: '29h' }); // since T0 + 1 h
    expect(recent.since).toBe(new Date(T0 + HOUR).toISOString());
    expect(recent.totals.signals).toBe(4);
    expect(parseSince('2025-01-15T13:00:00Z', 0)).toBe(T0 + HOUR);
    expect(() => parseSince('yesterday', T0)).toThrow(/INVALID_INPUT|since must be/);
  });
});

describe('cost per outcome', () => {
  it('joins the token ledger to analyses, signals and realized P&L', async () => {
    const { cost } = await getSignalScorecard(h.deps, { evaluate: false });
    // Ledger: 0.30 + 0.20 + 0.40 (Anthropic) + 3 × 0.005 (Perplexity) = 0.915.
    expect(cost).toMatchObject({
      spentUsd: 0.915,
      byProvider: { anthropic: 0.9, perplexity: 0.015 },
      analyses: 6, // 3 scanner analyses (one without a signal) + 3 signals made outside a cycle
      signals: 5,
      executed: 2,
      closedTrades: 2,
      realizedPnl: 8.25,
      netUsd: 7.335,
      perAnalysis: 0.1525,
      perSignal: 0.183,
      perExecutedTrade: 0.4575,
      summary: 'spent $0.92 on analysis to make $8.25 (net $7.34)',
    });
    // Claude: its two runs + the Perplexity lookup during its SOL analysis; rules: its lookup; manual: the rest.
    expect(cost.byAnalyst).toEqual([
      { analyst: 'claude', spentUsd: 0.505, analyses: 2, signals: 1, executed: 1, realizedPnl: 12.5, perSignal: 0.505 },
      { analyst: 'manual', spentUsd: 0.405, analyses: 3, signals: 3, executed: 1, realizedPnl: -4.25, perSignal: 0.135 },
      { analyst: 'rules', spentUsd: 0.005, analyses: 1, signals: 1, executed: 0, realizedPnl: 0, perSignal: 0.005 },
    ]);
    expect(cost.bySymbol.items.map((s) => [s.symbol, s.spentUsd, s.signals, s.realizedPnl])).toEqual([
      ['BTC/USDT', 0.405, 1, -4.25],
      ['SOL/USDT', 0.305, 2, 12.5],
      ['XRP/USDT', 0.2, 0, 0],
      ['DOGE/USDT', 0.005, 1, 0],
      ['ETH/USDT', 0, 1, 0],
    ]);
    expect(cost.byDay).toEqual([
      { day: '2025-01-16', spentUsd: 0, signals: 1, executed: 0, realizedPnl: -4.25 },
      { day: '2025-01-15', spentUsd: 0.915, signals: 4, executed: 2, realizedPnl: 12.5 },
    ]);

    const claude = (await getSignalScorecard(h.deps, { evaluate: false, analyst: 'claude' })).cost;
    expect(claude).toMatchObject({ spentUsd: 0.505, analyses: 2, signals: 1, executed: 1, perSignal: 0.505, perExecutedTrade: 0.505, realizedPnl: 12.5 });
  });

  it('gives pnl-report its block: spend in the period next to realized P&L, per signal and trade of the portfolio', async () => {
    const block = await llmCostForPeriod(h.deps.db, { from: T0 + HOUR, portfolioId, realizedPnl: new Dec('-4.25'), closedTrades: 1 });
    expect(block).toEqual({
      spentUsd: 0.41,
      byProvider: { anthropic: 0.4, perplexity: 0.01 },
      signals: 3,
      executed: 1,
      perSignal: 0.136667,
      perExecutedTrade: 0.41,
      realizedPnl: -4.25,
      netAfterLlm: -4.66,
      summary: 'spent $0.41 on analysis and lost $4.25 trading (net -$4.66)',
    });
    expect(costSummary(new Dec('3.1'), new Dec('41.2'), 4)).toBe('spent $3.10 on analysis to make $41.20 (net $38.10)');
    expect(costSummary(new Dec('0.5'), new Dec(0), 0)).toBe('spent $0.50 on analysis; no trade has closed yet');
  });
});
