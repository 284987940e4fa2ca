/** Outcomes on hand-built candle paths: which level came first, gaps, shorts, excursions in R. */
import { describe, expect, it } from 'vitest';
import { EMPTY_PATH, excursions, rMultiple, validLevels, walkCandles, type OutcomeLevels } from '../../src/outcomes/path.js';
import { toDec } from '../../src/shared/money.js';
import { MIN, T0, minutes, type Bar } from './helpers.js';

const long: OutcomeLevels = { direction: 'long', entry: toDec(100), stop: toDec(98), target: toDec(104) };
const short: OutcomeLevels = { direction: 'short', entry: toDec(100), stop: toDec(102), target: toDec(96) };

function walk(levels: OutcomeLevels, bars: Bar[]) {
  const r = walkCandles(levels, EMPTY_PATH, minutes(T0, bars));
  return { ...r, ...excursions(levels, r.state), resultR: r.decision ? rMultiple(levels, r.decision.exit) : null };
}

describe('signal outcome on a candle path (long 100, stop 98, target 104: 1R = 2)', () => {
  it('target first: +2R, time of the candle that reached it, MFE +2R, MAE from the earlier lows', () => {
    const r = walk(long, [
      [100, 101, 99, 100.5],
      [100.5, 102, 99.2, 101.8], // MAE −0.5R so far (low 99)
      [101.8, 104.2, 101, 103.9], // target inside
      [103.9, 110, 97, 99], // after the decision: ignored
    ]);
    expect(r.decision).toMatchObject({ reason: 'take_profit', at: T0 + 2 * MIN, gap: false });
    expect(r.decision!.exit.toNumber()).toBe(104);
    expect(r.resultR).toBe(2);
    expect(r.mfeR).toBe(2);
    expect(r.maeR).toBe(-0.5);
    expect(r.read).toBe(3);
  });

  it('stop first: −1R; the stop candle’s high does not count toward MFE', () => {
    const r = walk(long, [
      [100, 101.5, 99.5, 101],
      [101, 103.5, 97.5, 98], // stop inside; the 103.5 high may have come after it
    ]);
    expect(r.decision).toMatchObject({ reason: 'stop_loss', at: T0 + MIN, gap: false });
    expect(r.resultR).toBe(-1);
    expect(r.mfeR).toBe(0.75); // 101.5 from the first candle only
    expect(r.maeR).toBe(-1);
  });

  it('both levels inside one candle: the stop is taken to have come first, as the paper engine does', () => {
    const r = walk(long, [[100, 105, 97.9, 104.5]]);
    expect(r.decision).toMatchObject({ reason: 'stop_loss', gap: false });
    expect(r.resultR).toBe(-1);
  });

  it('a gap through the stop is decided at that candle, at its open: worse than −1R', () => {
    const r = walk(long, [
      [100, 100.8, 99.6, 100.2],
      [97, 97.5, 95, 96], // opened below the stop
    ]);
    expect(r.decision).toMatchObject({ reason: 'stop_loss', at: T0 + MIN, gap: true });
    expect(r.decision!.exit.toNumber()).toBe(97);
    expect(r.resultR).toBe(-1.5);
    expect(r.maeR).toBe(-1.5);
  });

  it('a gap through the target scores the target, never better', () => {
    const r = walk(long, [[106, 107, 105, 106.5]]);
    expect(r.decision).toMatchObject({ reason: 'take_profit', gap: true });
    expect(r.resultR).toBe(2);
    expect(r.mfeR).toBe(2);
    expect(r.maeR).toBe(0); // the gap candle's low came after the target
  });

  it('neither level: no decision, excursions and last close carried forward', () => {
    const r = walk(long, [
      [100, 103, 99, 102],
      [102, 103.5, 98.6, 99.4],
    ]);
    expect(r.decision).toBeNull();
    expect(r.mfeR).toBe(1.75);
    expect(r.maeR).toBe(-0.7);
    expect(r.state.lastClose!.toNumber()).toBe(99.4);
    // Resuming from the stored state gives the same answer as one walk over everything.
    const resumed = walkCandles(long, r.state, minutes(T0 + 2 * MIN, [[99.4, 104.1, 99, 104]]));
    expect(resumed.decision).toMatchObject({ reason: 'take_profit', at: T0 + 2 * MIN });
    expect(excursions(long, resumed.state)).toEqual({ mfeR: 2, maeR: -0.7 });
  });

  it('shorts: a fall reaches the target, a rise the stop, a gap up stops at the open', () => {
    const win = walk(short, [
      [100, 100.6, 98, 98.5],
      [98.5, 99, 95.8, 96.2],
    ]);
    expect(win.decision).toMatchObject({ reason: 'take_profit', at: T0 + MIN });
    expect(win.resultR).toBe(2);
    expect(win.maeR).toBe(-0.3);

    const loss = walk(short, [[100, 102.4, 99.7, 102.2]]);
    expect(loss.decision).toMatchObject({ reason: 'stop_loss', gap: false });
    expect(loss.resultR).toBe(-1);
    expect(loss.mfeR).toBe(0); // the stop candle's low does not count

    const gap = walk(short, [[103, 103.5, 102.5, 103]]);
    expect(gap.decision).toMatchObject({ reason: 'stop_loss', gap: true });
    expect(gap.resultR).toBe(-1.5);
  });

  it('levels on the wrong side of the entry cannot be scored', () => {
    expect(validLevels(long)).toBe(true);
    expect(validLevels(short)).toBe(true);
    expect(validLevels({ ...long, stop: toDec(101) })).toBe(false);
    expect(validLevels({ ...long, target: toDec(99) })).toBe(false);
    expect(validLevels({ ...short, stop: toDec(99) })).toBe(false);
    expect(validLevels({ ...long, stop: toDec(100) })).toBe(false);
  });
});
