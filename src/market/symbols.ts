/** Symbol resolution. Users type `BTC/USDT`, `BTCUSDT`, `btc` or the ccxt form `BTC/USDT:USDT`;
 * every answer names the resolved market of the configured type (perpetual or spot). */
import { AppError } from '../errors.js';
import type { MarketInfo, MarketType } from './types.js';

const QUOTES = ['USDT', 'USDC', 'USD', 'BTC', 'ETH'] as const;

export class SymbolIndex {
  private readonly bySymbol = new Map<string, MarketInfo>();
  private readonly byId = new Map<string, MarketInfo>();
  private readonly byPair = new Map<string, MarketInfo>();

  constructor(
    markets: readonly MarketInfo[],
    private readonly marketType: MarketType,
  ) {
    for (const m of markets) {
      if (m.type !== marketType) continue;
      this.bySymbol.set(m.symbol.toUpperCase(), m);
      this.byId.set(m.id.toUpperCase(), m);
      this.byPair.set(`${m.base}/${m.quote}`.toUpperCase(), m);
    }
  }

  get size(): number {
    return this.bySymbol.size;
  }

  all(): MarketInfo[] {
    return [...this.bySymbol.values()];
  }

  resolve(input: string): MarketInfo {
    const raw = input.trim().toUpperCase().replace(/\s+/g, '');
    if (!/^[A-Z0-9/:._-]{1,40}$/.test(raw)) {
      throw new AppError('INVALID_INPUT', 'A symbol looks like BTC/USDT, BTCUSDT or BTC/USDT:USDT', {
        hint: 'use a symbol such as BTC/USDT',
      });
    }
    const found =
      this.bySymbol.get(raw) ??
      this.byPair.get(raw.split(':')[0] ?? raw) ??
      this.byId.get(raw.replace(/[/:_-]/g, '')) ??
      this.byPair.get(splitConcatenated(raw)) ??
      this.byPair.get(`${raw}/USDT`);
    if (found) return found;
    const suggestions = this.closest(raw, 3);
    throw new AppError('NOT_FOUND', `No ${this.marketType === 'swap' ? 'perpetual' : 'spot'} market for ${input.trim().slice(0, 40)}`, {
      hint: suggestions.length ? `closest: ${suggestions.join(', ')}` : 'list markets with scan_market_movers or use BTC/USDT',
      details: { suggestions },
    });
  }

  /** The closest listed pairs by edit distance on the base asset, for a NOT_FOUND hint. */
  closest(raw: string, n: number): string[] {
    const base = (raw.split(/[/:]/)[0] ?? raw).replace(/(USDT|USDC|USD)$/, '') || raw;
    const scored = [...this.byPair.values()].map((m) => ({ m, d: distance(base, m.base.toUpperCase()) }));
    scored.sort((a, b) => a.d - b.d || a.m.base.localeCompare(b.m.base));
    return scored.slice(0, n).map(({ m }) => `${m.base}/${m.quote}`);
  }
}

const STORED_QUOTES = ['USDT', 'USDC', 'USD'];

/**
 * The stored forms a typed symbol may have, without asking the exchange: signals and positions
 * store the resolved ccxt symbol (`BTC/USDT:USDT` for a perpetual, `BTC/USDT` for spot).
 */
export function symbolForms(input: string): string[] {
  const raw = input.trim().toUpperCase().replace(/\s+/g, '');
  if (raw.includes(':')) return [raw];
  let pair = raw;
  if (!raw.includes('/')) {
    const quote = STORED_QUOTES.find((q) => raw.length > q.length && raw.endsWith(q));
    pair = quote ? `${raw.slice(0, -quote.length)}/${quote}` : `${raw}/USDT`;
  }
  const quote = pair.split('/')[1] ?? 'USDT';
  return [pair, `${pair}:${quote}`];
}

function splitConcatenated(raw: string): string {
  for (const q of QUOTES) {
    if (raw.length > q.length && raw.endsWith(q)) return `${raw.slice(0, -q.length)}/${q}`;
  }
  return raw;
}

/** Levenshtein distance, small strings only. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** How a market is named in answers: `perpetual` or `spot`. */
export function marketLabel(type: MarketType): 'perpetual' | 'spot' {
  return type === 'swap' ? 'perpetual' : 'spot';
}
