/** The biggest 24h movers among the configured market's tickers, from one bulk call. */
import type { Deps } from '../deps.js';
import { marketLabel } from './symbols.js';

export interface Mover {
  symbol: string;
  market: 'perpetual' | 'spot';
  last: number;
  change24hPct: number;
  turnover24hUsd: number;
}

export interface MoverScan {
  scanned: number;
  items: Mover[];
  hasMore: boolean;
}

export async function findMovers(
  deps: Pick<Deps, 'market'>,
  options: { thresholdPct: number; limit: number; minTurnoverUsd?: number },
): Promise<MoverScan> {
  const tickers = await deps.market.tickers();
  const all = tickers
    .filter((t) => t.change24hPct !== null && Math.abs(t.change24hPct) >= options.thresholdPct)
    .filter((t) => (t.quoteVolume24h ?? 0) >= (options.minTurnoverUsd ?? 0))
    .map((t) => ({
      symbol: t.symbol,
      market: marketLabel(t.market),
      last: t.last,
      change24hPct: Math.round(t.change24hPct! * 1000) / 1000,
      turnover24hUsd: Math.round(t.quoteVolume24h ?? 0),
    }))
    .sort((a, b) => Math.abs(b.change24hPct) - Math.abs(a.change24hPct));
  return { scanned: tickers.length, items: all.slice(0, options.limit), hasMore: all.length > options.limit };
}
