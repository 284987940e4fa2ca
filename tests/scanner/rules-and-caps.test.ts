/** The rules analyst's documented rules, and the spend caps' arithmetic, on a real database. */
import { describe, expect, it } from 'vitest';
import { rulesDecision, type RulesInput } from '../../src/agent/rules-analyst.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { recordLlmUsage } from '../../src/usage/record.js';
import { SpendGuard } from '../../src/usage/spend-caps.js';

type Tf = '15m' | '1h' | '4h';
function input(biases: Record<Tf, 'bullish' | 'bearish' | 'neutral'>, over: Partial<RulesInput> = {}, rsi1h = 60): RulesInput {
  const bull = Object.values(biases).filter((b) => b === 'bullish').length;
  const bear = Object.values(biases).filter((b) => b === 'bearish').length;
  const alignment = bear === 0 && bull > 1.5 ? 'bullish' : bull === 0 && bear > 1.5 ? 'bearish' : 'mixed';
  const timeframes = Object.fromEntries(Object.entries(biases).map(([tf, bias]) => [tf, { bias, momentum: { rsi: tf === '1h' ? rsi1h : 50 } }]));
  return {
    snapshot: {
      alignment,
      reasons: ['tally'],
      stopDistance: { timeframe: '1h', atr: 2, multiple: 1.5, price: 3, pct: 3 },
      timeframes,
    } as unknown as RulesInput['snapshot'],
    price: 100,
    positioning: 0,
    change24hPct: 0,
    tickSize: 0.01,
    minRiskReward: 1.5,
    ...over,
  };
}

describe('the rules analyst', () => {
  it('no signal when the timeframes disagree', () => {
    const d = rulesDecision(input({ '15m': 'bullish', '1h': 'bearish', '4h': 'bullish' }));
    expect(d).toMatchObject({ kind: 'no_signal' });
    expect((d as { reason: string }).reason).toMatch(/disagree/);
  });

  it('all three bullish: long, confidence 50 + 30, stop 1.5 ATR below, target 2 R above', () => {
    const d = rulesDecision(input({ '15m': 'bullish', '1h': 'bullish', '4h': 'bullish' }));
    expect(d).toMatchObject({
      kind: 'signal',
      direction: 'long',
      confidence: 80,
      entry: 100,
      stopLoss: 97,
      takeProfit: 106,
      technicalScore: 100,
      rewardRisk: 2,
    });
  });

  it('positioning and the 24h move add when they agree, subtract when against; overextension costs 10', () => {
    const agree = rulesDecision(input({ '15m': 'bearish', '1h': 'bearish', '4h': 'neutral' }, { positioning: -50, change24hPct: -8 }));
    // T = -67: 50 + 20 + 10 (positioning -50 on a short) + 5 (falling)
    expect(agree).toMatchObject({
      kind: 'signal',
      direction: 'short',
      confidence: 85,
      stopLoss: 103,
      takeProfit: 94,
      technicalScore: -67,
      sentimentScore: -50,
    });
    const against = rulesDecision(input({ '15m': 'bearish', '1h': 'bearish', '4h': 'neutral' }, { positioning: 50, change24hPct: 8 }));
    expect(against).toMatchObject({ kind: 'signal', confidence: 60 });
    const stretched = rulesDecision(input({ '15m': 'bullish', '1h': 'bullish', '4h': 'bullish' }, { positioning: 100, change24hPct: 12 }, 81));
    // 50 + 30 + 20 + 5 - 10
    expect(stretched).toMatchObject({ kind: 'signal', confidence: 95 });
    expect((stretched as { explanation: string }).explanation).toContain('RSI 1h 81 overextended');
  });

  it('the reward:risk follows a stricter MIN_RISK_REWARD', () => {
    const d = rulesDecision(input({ '15m': 'bullish', '1h': 'bullish', '4h': 'bullish' }, { minRiskReward: 3 }));
    expect(d).toMatchObject({ kind: 'signal', rewardRisk: 3.3, takeProfit: 109.9 });
  });
});

describe('spend caps', () => {
  const config = { MAX_BUDGET_USD: 1, CYCLE_BUDGET_USD: 2, DAILY_BUDGET_USD: 3 };
  const NOW = Date.parse('2026-11-20T12:00:00Z');

  async function database(spent: Array<[string, number]>) {
    const d = openDatabase(':memory:');
    await migrateToLatest(d.db);
    for (const [cost, at] of spent) {
      await recordLlmUsage(d.db, { provider: 'perplexity', operationType: 'sentiment', model: 'sonar', inputTokens: 1, outputTokens: 1, costUsd: cost, at });
    }
    return d;
  }

  it('a budget is the room left, capped at MAX_BUDGET_USD; reservations in flight count against the caps', async () => {
    const d = await database([['0.7', NOW - 3_600_000]]); // earlier today, before this cycle
    const guard = new SpendGuard({ db: d.db, clock: { now: () => NOW }, config }, NOW);
    const a = await guard.reserve();
    expect(a).toMatchObject({ ok: true, budgetUsd: 1 }); // day room 2.3, cycle room 2
    const b = await guard.reserve();
    expect(b).toMatchObject({ ok: true, budgetUsd: 1 }); // cycle room 1 left
    const c = await guard.reserve();
    expect(c).toMatchObject({ ok: false, scope: 'cycle', until: null });
    if (a.ok) a.release({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: '0', exact: true });
    expect(await guard.reserve()).toMatchObject({ ok: true, budgetUsd: 1 });
    await d.close();
  });

  it('the daily cap counts every provider since 00:00 UTC and says when analyses resume', async () => {
    const d = await database([
      ['2.95', NOW - 60_000],
      ['9', NOW - 86_400_000],
    ]); // yesterday does not count
    const guard = new SpendGuard({ db: d.db, clock: { now: () => NOW }, config }, NOW);
    const r = await guard.reserve();
    expect(r).toMatchObject({ ok: false, scope: 'day', until: Date.parse('2026-11-21T00:00:00Z') });
    expect((r as { message: string }).message).toMatch(/daily spend cap \$3\.00 reached \(\$2\.95 spent today\)/);
    await d.close();
  });

  it('fails closed: unknown spend (unreadable, or a run without a spend report) starts nothing more', async () => {
    const d = await database([]);
    const guard = new SpendGuard({ db: d.db, clock: { now: () => NOW }, config }, NOW);
    const first = await guard.reserve();
    expect(first.ok).toBe(true);
    if (first.ok) first.release(null);
    expect(await guard.reserve()).toMatchObject({ ok: false, scope: 'unknown' });
    await d.close();
    const closed = new SpendGuard({ db: d.db, clock: { now: () => NOW }, config }, NOW);
    expect(await closed.reserve()).toMatchObject({ ok: false, scope: 'unknown' });
  });
});
