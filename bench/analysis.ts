/**
 * Analysis benchmark: compute time of a full technical snapshot (3 timeframes × 200 candles, every
 * indicator, patterns, verdict) without I/O, next to plain `technicalindicators` batch calls for the
 * same indicators in the same run. Goal: a snapshot in 0.5 ms or less.
 *
 * Standalone: npx tsx bench/analysis.ts
 */
import { pathToFileURL } from 'node:url';
import { ADX, ATR, BollingerBands, EMA, MACD, RSI, SMA, Stochastic } from 'technicalindicators';
import { snapshot, type SnapshotInput } from '../src/analysis/index.js';
import type { Candle } from '../src/market/types.js';
import { multiTimeframe } from './analysis-candles.js';
import { percentile, printTable, type BenchResult } from './types.js';

const GOAL_MS = 0.5;
const SIZE_GOAL_BYTES = 6 * 1024;

/** One seeded 15m walk aggregated to 1h and 4h: 200 candles per timeframe. */
function input(): SnapshotInput {
  return multiTimeframe(200, { seed: 42, volatility: 0.002 });
}

/** Median and 95th percentile (ms) of `runs` timed calls after `warmup` untimed ones. */
function time(fn: () => unknown, warmup: number, runs: number): { median: number; p95: number } {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p95: percentile(samples, 95) };
}

/** The same indicators through technicalindicators' batch API (one call per indicator). */
function technicalIndicatorsBatch(series: readonly Candle[][]): void {
  for (const candles of series) {
    const high = candles.map((c) => c.high);
    const low = candles.map((c) => c.low);
    const close = candles.map((c) => c.close);
    const vol = candles.map((c) => c.volume);
    RSI.calculate({ values: close, period: 14 });
    MACD.calculate({ values: close, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
    BollingerBands.calculate({ values: close, period: 20, stdDev: 2 });
    ATR.calculate({ high, low, close, period: 14 });
    EMA.calculate({ values: close, period: 20 });
    EMA.calculate({ values: close, period: 50 });
    EMA.calculate({ values: close, period: 200 });
    SMA.calculate({ values: vol, period: 20 });
    Stochastic.calculate({ high, low, close, period: 14, signalPeriod: 3 });
    ADX.calculate({ high, low, close, period: 14 });
  }
}

const ms = (x: number): string => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);

export async function benchAnalysis(): Promise<BenchResult[]> {
  const data = input();
  const series = Object.values(data) as Candle[][];
  const ours = time(() => snapshot(data), 300, 3000);
  const theirs = time(() => technicalIndicatorsBatch(series), 50, 300);
  const size = JSON.stringify(snapshot(data)).length;
  const ratio = theirs.median / ours.median;
  return [
    {
      name: 'analysis: full snapshot compute (3 TF × 200 candles, all indicators + patterns)',
      goal: `median ≤ ${GOAL_MS} ms`,
      result: `median ${ms(ours.median)}, p95 ${ms(ours.p95)}`,
      ok: ours.median <= GOAL_MS,
    },
    {
      name: 'analysis: technicalindicators batch calls, same indicators (3 TF × 200)',
      goal: 'reference',
      result: `median ${ms(theirs.median)}, p95 ${ms(theirs.p95)}`,
      ok: null,
    },
    {
      name: 'analysis: snapshot vs technicalindicators',
      goal: 'faster',
      result: `${ratio.toFixed(1)}× faster (snapshot also includes patterns, swings, verdict)`,
      ok: ratio > 1,
    },
    {
      name: 'analysis: snapshot JSON size (3 timeframes)',
      goal: `< ${SIZE_GOAL_BYTES} bytes`,
      result: `${size} bytes`,
      ok: size < SIZE_GOAL_BYTES,
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchAnalysis(), (s) => process.stdout.write(s));
}
