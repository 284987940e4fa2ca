/**
 * The scorecard through a real MCP client on the simulated exchange: signals submitted with
 * submit_trading_signal, prices shocked and the clock advanced, then get_signal_scorecard and the
 * llmCost block of get_pnl_report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLlmUsage } from '../../src/usage/record.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const MIN = 60_000;

let d: TestDesk;
beforeAll(async () => {
  d = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn', OUTCOME_HORIZON_HOURS: '1' } });
});
afterAll(async () => {
  await d.close();
});

async function levels(symbol: string, confidence: number, stopPct = 2, rr = 2.5) {
  const price = (await d.call('get_current_price', { symbol })).data.last as number;
  return {
    symbol,
    direction: 'long',
    confidence,
    entry_price: price,
    stop_loss: Number((price * (1 - stopPct / 100)).toPrecision(8)),
    take_profit: Number((price * (1 + (stopPct * rr) / 100)).toPrecision(8)),
    analysis: 'scorecard test',
  };
}

describe('get_signal_scorecard on the simulator', () => {
  it('scores executed and untraded signals, agrees with the paper engine, and puts LLM spend next to P&L', async () => {
    const submit = async (args: Record<string, unknown>) => {
      const r = await d.call('submit_trading_signal', args);
      expect(r.isError, r.text).toBe(false);
      return r.data;
    };
    // BTC comes from a Claude scan cycle (its mover row names the analyst and what the analysis cost).
    const btc = await submit({ ...(await levels('BTC/USDT', 85)), signal_id: 'scan-t1:BTCUSDT' });
    const eth = await submit(await levels('ETH/USDT', 65));
    const sol = await submit(await levels('SOL/USDT', 40));
    const tight = await submit(await levels('XRP/USDT', 75, 0.05));
    expect([btc.status, eth.status, sol.status, tight.status]).toEqual(['executed', 'executed', 'recorded', 'rejected']);

    const db = d.app.deps.db;
    await db
      .insertInto('scan_cycles')
      .values({ id: 'scan-t1', started_at: T0, heartbeat_at: T0, status: 'completed', analyst: 'claude', portfolio: 'default' })
      .execute();
    await db
      .insertInto('scan_cycle_movers')
      .values({
        cycle_id: 'scan-t1',
        symbol: 'BTC/USDT:USDT',
        rank: 1,
        change_24h_pct: 6,
        last_price: btc.fill.price,
        turnover_24h_usd: 1e9,
        outcome: 'executed',
        analyst: 'claude',
        signal_id: 'scan-t1:BTCUSDT',
        signal_row_id: btc.id,
        cost_usd: '0.4',
        started_at: T0,
        finished_at: T0,
      })
      .execute();
    await recordLlmUsage(db, {
      provider: 'anthropic',
      operationType: 'scanner',
      model: 'claude-sonnet-4-5',
      inputTokens: 9000,
      outputTokens: 800,
      costUsd: '0.4',
      at: T0,
      symbol: 'BTC/USDT',
    });
    await recordLlmUsage(db, {
      provider: 'anthropic',
      operationType: 'analysis',
      model: 'claude-sonnet-4-5',
      inputTokens: 2000,
      outputTokens: 300,
      costUsd: '0.1',
      at: T0,
      symbol: 'ETH/USDT',
    });
    await recordLlmUsage(db, {
      provider: 'perplexity',
      operationType: 'sentiment',
      model: 'sonar',
      inputTokens: 100,
      outputTokens: 200,
      costUsd: '0.01',
      at: T0,
      symbol: 'ETH/USDT:USDT',
    });

    d.sim.shock('BTCUSDT', 8); // gaps through the BTC target
    d.sim.shock('ETHUSDT', -6); // gaps through the ETH stop
    d.sim.clock.advance(3 * MIN);
    const closed = (await d.call('get_portfolio_status')).data.justClosed as Array<{ id: number; reason: string; realizedPnl: number }>;
    const reasonOf = (positionId: number) => closed.find((c) => c.id === positionId)?.reason;

    const first = await d.call('get_signal_scorecard', {});
    expect(first.isError, first.text).toBe(false);
    expect(JSON.parse(first.text)).toEqual(first.data);
    const card = first.data;
    expect(card).toMatchObject({ since: null, analyst: 'all', horizonHours: 1 });
    expect(card.totals.signals).toBe(4);
    const executed = card.byStatus.find((g: { key: string }) => g.key === 'executed');
    expect(executed).toMatchObject({ signals: 2, decided: 2, targets: 1, stops: 1, hitRate: 50 });
    // Outcomes agree with how the paper engine closed the same levels.
    expect(reasonOf(btc.fill.positionId)).toBe('take_profit');
    expect(reasonOf(eth.fill.positionId)).toBe('stop_loss');
    const byConfidence = Object.fromEntries(card.byConfidence.map((b: { key: string; targets: number; stops: number }) => [b.key, [b.targets, b.stops]]));
    expect(byConfidence['80-89']).toEqual([1, 0]); // BTC: target (+2.5R, scored at the target although it gapped past it)
    expect(byConfidence['60-69']).toEqual([0, 1]); // ETH: stopped on the gap, worse than −1R
    expect(card.byConfidence.find((b: { key: string }) => b.key === '80-89').avgR).toBeCloseTo(2.5, 1);
    expect(card.byConfidence.find((b: { key: string }) => b.key === '60-69').avgR).toBeLessThan(-1);
    expect(Object.fromEntries(card.byAnalyst.map((g: { key: string; signals: number }) => [g.key, g.signals]))).toEqual({ claude: 1, manual: 3 });

    const realized = closed.reduce((sum, c) => sum + c.realizedPnl, 0);
    expect(card.cost).toMatchObject({
      spentUsd: 0.51,
      byProvider: { anthropic: 0.5, perplexity: 0.01 },
      signals: 4,
      executed: 2,
      closedTrades: 2,
      perExecutedTrade: 0.255,
    });
    expect(card.cost.realizedPnl).toBeCloseTo(realized, 3);
    expect(card.cost.summary).toMatch(/^spent \$0\.51 on analysis (to make|and lost) \$\d/);
    expect(card.cost.byAnalyst.map((a: { analyst: string; spentUsd: number }) => [a.analyst, a.spentUsd])).toEqual([
      ['claude', 0.4],
      ['manual', 0.11],
    ]);

    const pnl = (await d.call('get_pnl_report', { period: 'daily' })).data;
    expect(pnl.llmCost).toMatchObject({ spentUsd: 0.51, signals: 4, executed: 2, perExecutedTrade: 0.255 });
    expect(pnl.llmCost.realizedPnl).toBeCloseTo(pnl.summary.realizedPnl, 4);
    expect(pnl.llmCost.netAfterLlm).toBeCloseTo(pnl.summary.realizedPnl - 0.51, 3);

    // Past the one-hour horizon every signal is decided: a level reached, or expired at the horizon close.
    d.sim.clock.advance(62 * MIN);
    const later = (await d.call('get_signal_scorecard', { analyst: 'manual' })).data;
    expect(later.totals).toMatchObject({ signals: 3, pending: 0, decided: 3 });
    expect(later.cost).toMatchObject({ spentUsd: 0.11, signals: 3 });
  });

  it('answers a bad since with a coded error', async () => {
    const r = await d.call('get_signal_scorecard', { since: 'last week' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^INVALID_INPUT: since must be/);
  });
});
