/**
 * The biggest 24h movers among the configured market's tickers, from one bulk call.
 *
 * Tradable: an active market (not pre-launch, not delisting: ccxt's `active`) quoted in USDT with
 * at least `minTurnoverUsd` of 24h turnover. A mover has moved at least `thresholdPct` over 24h,
 * up (gainer) or down (loser). Ranked by the size of the move, then by turnover (the more liquid
 * first), then by symbol, so a frozen market always ranks the same way.
 */
import { marketLabel } from './symbols.js';
import type { MarketInfo, Ticker } from './types.js';

export interface Mover {
  symbol: string;
  market: 'perpetual' | 'spot';
  direction: 'gainer' | 'loser';
  last: number;
  /** Percent, rounded to 3 decimals (5 means +5 %). */
  change24hPct: number;
  /** USDT, rounded. */
  turnover24hUsd: number;
  /** Funding rate per interval as a fraction; null for spot. */
  fundingRate: number | null;
}

export interface MoverFilter {
  thresholdPct: number;
  minTurnoverUsd: number;
}

/** Every mover of the tickers, ranked (pure). Tickers of unknown or inactive markets are ignored. */
export function rankMovers(tickers: readonly Ticker[], markets: readonly MarketInfo[], filter: MoverFilter): { tradable: number; movers: Mover[] } {
  const bySymbol = new Map(markets.map((m) => [m.symbol, m]));
  let tradable = 0;
  const movers: Mover[] = [];
  for (const t of tickers) {
    const info = bySymbol.get(t.symbol);
    if (!info || !info.active || info.quote !== 'USDT') continue;
    if ((t.quoteVolume24h ?? 0) < filter.minTurnoverUsd) continue;
    tradable += 1;
    const change = t.change24hPct;
    if (change === null || !Number.isFinite(change) || Math.abs(change) < filter.thresholdPct) continue;
    movers.push({
      symbol: t.symbol,
      market: marketLabel(t.market),
      direction: change >= 0 ? 'gainer' : 'loser',
      last: t.last,
      change24hPct: Math.round(change * 1000) / 1000,
      turnover24hUsd: Math.round(t.quoteVolume24h ?? 0),
      fundingRate: t.fundingRate,
    });
  }
  movers.sort(
    (a, b) =>
      Math.abs(b.change24hPct) - Math.abs(a.change24hPct) || b.turnover24hUsd - a.turnover24hUsd || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0),
  );
  return { tradable, movers };
}
