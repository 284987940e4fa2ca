/**
 * Technical analysis: pure functions over closed candles (ascending, open time in epoch ms).
 * No I/O. Conventions are documented in indicators.ts (RSI/MACD/Bollinger/ATR/EMA/stochastic/ADX),
 * swings.ts (fractals, support/resistance, divergence), candlestick.ts (patterns) and
 * present.ts (output rounding). Too little history throws AppError INSUFFICIENT_DATA
 * ("MACD(12,26,9) needs 34 candles, got 20", details { needed, got }); bad candles or parameters
 * throw INVALID_INPUT.
 */
export { momentum } from './momentum.js';
export { volatility } from './volatility.js';
export { trend } from './trend.js';
export { volume } from './volume.js';
export { patterns } from './patterns.js';
export { snapshot } from './snapshot.js';
export type { Snapshot, SnapshotInput, TimeframeSnapshot } from './snapshot.js';
export type * from './types.js';
export { MIN_CANDLES } from './series-cache.js';
export * as indicators from './indicators.js';
