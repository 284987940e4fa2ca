/** Incremental evaluation: stored progress, only new candles read, decided outcomes left alone. */
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateOutcomes } from '../../src/outcomes/evaluate.js';
import { HOUR, MIN, T0, flat, insertSignal, minutes, outcomeHarness, outcomeRow, type Bar, type OutcomeHarness } from './helpers.js';

let h: OutcomeHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Long 100 / stop 98 / target 104, made 30 s into minute 0. Minute 45 reaches the target. */
function targetAtMinute45(): Bar[] {
  const bars = flat(120);
  bars[10] = [100, 101, 99.5, 100]; // MFE +0.5R, MAE −0.25R
  bars[45] = [100, 104.5, 99.8, 104];
  return bars;
}

describe('evaluateOutcomes', () => {
  it('stores progress, reads only new candles on the next run, and never touches a decided outcome', async () => {
    h = await outcomeHarness();
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, targetAtMinute45()));
    const id = await insertSignal(h.deps, { at: T0 + 30_000, entry: 100, stop: 98, target: 104, status: 'executed' });

    h.clock.t = T0 + 30 * MIN + 10_000;
    const first = await evaluateOutcomes(h.deps);
    // The candle containing the signal is skipped; 1m candles from the next minute to the last closed one.
    expect(h.market.calls).toEqual([{ symbol: 'BTC/USDT:USDT', tf: '1m', since: T0 + MIN }]);
    expect(first).toMatchObject({ evaluated: 1, decided: {}, candlesRead: 29, requests: 1, errors: 0, hasMore: false });
    expect(await outcomeRow(h.deps, id)).toMatchObject({
      status: 'pending',
      evaluated_until: T0 + 30 * MIN,
      timeframe: '1m',
      mfe_r: 0.5,
      mae_r: -0.25,
      best_price: '101',
      worst_price: '99.5',
      candles_read: 29,
      horizon_end: T0 + 30_000 + 72 * HOUR,
    });

    h.clock.t = T0 + 50 * MIN;
    const second = await evaluateOutcomes(h.deps);
    expect(h.market.calls[1]).toEqual({ symbol: 'BTC/USDT:USDT', tf: '1m', since: T0 + 30 * MIN });
    expect(second).toMatchObject({ evaluated: 1, decided: { take_profit: 1 }, candlesRead: 16 });
    const decided = await outcomeRow(h.deps, id);
    expect(decided).toMatchObject({
      status: 'take_profit',
      result_r: 2,
      exit_price: '104',
      gap: 0,
      decided_at: T0 + 45 * MIN,
      time_to_hit_ms: 45 * MIN - 30_000,
      mfe_r: 2,
      mae_r: -0.25,
      candles_read: 45,
    });

    // Later runs: nothing is due, nothing is read, the row stays exactly as decided.
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, flat(600, 50))); // even if the exchange rewrote history
    h.clock.t = T0 + 5 * HOUR;
    expect(await evaluateOutcomes(h.deps)).toMatchObject({ evaluated: 0, candlesRead: 0, requests: 0 });
    expect(h.market.calls).toHaveLength(2);
    expect(await outcomeRow(h.deps, id)).toEqual(decided);
  });

  it('signals on the same market share one candle request, from the earliest candle any of them needs', async () => {
    h = await outcomeHarness();
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, targetAtMinute45()));
    h.market.paths.set('ETH/USDT:USDT', minutes(T0, flat(120)));
    const early = await insertSignal(h.deps, { at: T0 + 30_000, entry: 100, stop: 98, target: 104 });
    const late = await insertSignal(h.deps, { at: T0 + 20 * MIN, entry: 100, stop: 98, target: 104 });
    await insertSignal(h.deps, { at: T0, symbol: 'ETH/USDT:USDT', entry: 100, stop: 98, target: 104 });
    h.clock.t = T0 + HOUR;
    expect(await evaluateOutcomes(h.deps)).toMatchObject({ evaluated: 3, requests: 2, decided: { take_profit: 2 } });
    expect(h.market.calls).toEqual([
      { symbol: 'BTC/USDT:USDT', tf: '1m', since: T0 + MIN },
      { symbol: 'ETH/USDT:USDT', tf: '1m', since: T0 + MIN },
    ]);
    // Each signal still reads only its own candles: the late one starts after its own minute.
    expect(await outcomeRow(h.deps, early)).toMatchObject({ candles_read: 45, time_to_hit_ms: 45 * MIN - 30_000 });
    expect(await outcomeRow(h.deps, late)).toMatchObject({ candles_read: 25, time_to_hit_ms: 25 * MIN });
  });

  it('a signal without a new closed candle is not read at all', async () => {
    h = await outcomeHarness();
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, flat(10)));
    await insertSignal(h.deps, { at: T0 + 30_000, entry: 100, stop: 98, target: 104 });
    h.clock.t = T0 + 90_000; // minute 1 has not closed yet
    expect(await evaluateOutcomes(h.deps)).toMatchObject({ evaluated: 0 });
    expect(h.market.calls).toEqual([]);
  });

  it('neither level within the horizon: expired, scored at the last close inside it', async () => {
    h = await outcomeHarness({ OUTCOME_HORIZON_HOURS: '1' });
    const bars = flat(180);
    bars[60] = [100, 100.5, 99.5, 101]; // the last candle opening inside the horizon (T0 + 60 min 30 s)
    bars[61] = [101, 110, 90, 100]; // after the horizon: ignored
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, bars));
    const id = await insertSignal(h.deps, { at: T0 + 30_000, entry: 100, stop: 98, target: 104 });
    h.clock.t = T0 + 3 * HOUR;
    expect(await evaluateOutcomes(h.deps)).toMatchObject({ decided: { expired: 1 }, candlesRead: 60 });
    expect(await outcomeRow(h.deps, id)).toMatchObject({
      status: 'expired',
      result_r: 0.5,
      exit_price: '101',
      decided_at: T0 + HOUR + 30_000,
      time_to_hit_ms: null,
      mfe_r: 0.25,
      mae_r: -0.25,
    });
  });

  it('a short is scored in its own direction', async () => {
    h = await outcomeHarness();
    const bars = flat(30);
    bars[5] = [100, 100.4, 98, 98.2];
    bars[6] = [98.2, 98.5, 95.9, 96];
    h.market.paths.set('ETH/USDT:USDT', minutes(T0, bars));
    const id = await insertSignal(h.deps, { at: T0, symbol: 'ETH/USDT:USDT', direction: 'short', entry: 100, stop: 102, target: 96 });
    h.clock.t = T0 + 20 * MIN;
    await evaluateOutcomes(h.deps);
    expect(await outcomeRow(h.deps, id)).toMatchObject({ status: 'take_profit', result_r: 2, decided_at: T0 + 6 * MIN, mae_r: -0.25 });
  });

  it('a backlog is caught up from coarser candles that fit one page (5m after ~16 h)', async () => {
    h = await outcomeHarness();
    const bars = flat(24 * 60);
    bars[603] = [100, 100.2, 97.5, 97.8]; // the stop, in the 5m candle opening at minute 600
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, bars));
    const id = await insertSignal(h.deps, { at: T0 + 30_000, entry: 100, stop: 98, target: 104 });
    h.clock.t = T0 + 20 * HOUR;
    await evaluateOutcomes(h.deps);
    expect(h.market.calls).toEqual([{ symbol: 'BTC/USDT:USDT', tf: '5m', since: T0 + 5 * MIN }]);
    expect(await outcomeRow(h.deps, id)).toMatchObject({ status: 'stop_loss', timeframe: '5m', result_r: -1, decided_at: T0 + 600 * MIN });
  });

  it('unusable levels are marked invalid without a market call; an unknown market after the horizon is no_data', async () => {
    h = await outcomeHarness({ OUTCOME_HORIZON_HOURS: '1' });
    const bad = await insertSignal(h.deps, { at: T0, entry: 100, stop: 101, target: 104 });
    const gone = await insertSignal(h.deps, { at: T0, symbol: 'GONE/USDT:USDT', entry: 100, stop: 98, target: 104 });
    h.clock.t = T0 + 30 * MIN;
    const early = await evaluateOutcomes(h.deps);
    expect(early).toMatchObject({ decided: { invalid: 1 }, errors: 1 }); // the unknown market may come back
    expect(await outcomeRow(h.deps, gone)).toBeUndefined();
    h.clock.t = T0 + 2 * HOUR;
    expect(await evaluateOutcomes(h.deps)).toMatchObject({ decided: { no_data: 1 }, errors: 0 });
    expect((await outcomeRow(h.deps, bad))?.status).toBe('invalid');
    expect((await outcomeRow(h.deps, gone))?.status).toBe('no_data');
    expect(h.market.calls.every((c) => c.symbol === 'GONE/USDT:USDT')).toBe(true);
  });

  it('a market fault leaves the signal pending for the next run; limit bounds one run', async () => {
    h = await outcomeHarness();
    h.market.paths.set('BTC/USDT:USDT', minutes(T0, targetAtMinute45()));
    const a = await insertSignal(h.deps, { at: T0, entry: 100, stop: 98, target: 104 });
    const b = await insertSignal(h.deps, { at: T0 + MIN, entry: 100, stop: 98, target: 104 });
    h.clock.t = T0 + HOUR;
    h.market.failWith = 'UPSTREAM_UNAVAILABLE';
    expect(await evaluateOutcomes(h.deps)).toMatchObject({ evaluated: 0, errors: 2 });
    h.market.failWith = null;
    expect(await evaluateOutcomes(h.deps, { limit: 1 })).toMatchObject({ evaluated: 1, hasMore: true });
    expect((await outcomeRow(h.deps, a))?.status).toBe('take_profit');
    expect(await outcomeRow(h.deps, b)).toBeUndefined();
    expect(await evaluateOutcomes(h.deps, { limit: 1 })).toMatchObject({ evaluated: 1, hasMore: false });
    expect((await outcomeRow(h.deps, b))?.status).toBe('take_profit');
  });
});
