import { describe, expect, it } from 'vitest';
import { bookLiquidity, exitAtReference, slippagePct, tickerLiquidity } from '../../src/trading/fills.js';
import { Dec } from '../../src/shared/money.js';
import type { OrderBook, Ticker } from '../../src/market/types.js';

const book: OrderBook = {
  symbol: 'BTC/USDT:USDT',
  bids: [
    [99.9, 1],
    [99.8, 2],
    [99.0, 5],
  ],
  asks: [
    [100.1, 1],
    [100.2, 2],
    [101.0, 5],
  ],
  timestamp: 0,
};

const d = (x: string | number) => new Dec(String(x));

describe('realistic fills walk the order book', () => {
  it('buys at the VWAP of the ask levels taken, never at a requested price', () => {
    const liq = bookLiquidity(book, 'buy', 0.5);
    const ex = liq.enter(d(2));
    // 1 @ 100.1 + 1 @ 100.2
    expect(ex.notional.toString()).toBe('200.3');
    expect(ex.price.toString()).toBe('100.15');
    expect(liq.mid.toString()).toBe('100');
    expect(slippagePct('buy', ex.price, liq.mid)).toBe(0.15);
  });

  it('takes levels only within MAX_SLIPPAGE_PCT of the best price on entry', () => {
    const liq = bookLiquidity(book, 'buy', 0.5); // limit 100.6005: the 101.0 level is out
    expect(liq.maxEntryQty!.toString()).toBe('3');
    expect(() => liq.enter(d(4))).toThrow();
    expect(liq.qtyForNotional(d(10_000)).toString()).toBe('3');
    // 100.1 + 2 × 100.2 = 300.5 buys 3; 150.2 buys 1 + (50.1 / 100.2)
    expect(liq.qtyForNotional(d('150.2')).toString()).toBe('1.5');
  });

  it('sells into the bids, and an exit beyond the visible depth pays a further slippage step', () => {
    const liq = bookLiquidity(book, 'sell', 1);
    const ex = liq.exit(d(10));
    // 1@99.9 + 2@99.8 + 5@99.0 + 2 @ 99.0 × 0.99
    expect(ex.notional.toString()).toBe(String(99.9 + 199.6 + 495 + 2 * 98.01));
    expect(ex.beyondDepth).toBe(true);
    // VWAP 99.052: worse than every level but the last
    expect(ex.price.toString()).toBe('99.052');
  });

  it('a triggered exit carries the current cost against mid over to the trigger price', () => {
    const liq = bookLiquidity(book, 'sell', 1);
    const ex = exitAtReference(liq, d(1), d(90));
    // best bid 99.9 is 0.1% under the mid: the exit at a 90 reference fills at 89.91
    expect(ex.price.toString()).toBe('89.91');
  });
});

describe('instant fills', () => {
  const ticker: Ticker = {
    symbol: 'BTC/USDT:USDT',
    market: 'swap',
    last: 100,
    bid: 99.5,
    ask: 100.5,
    high24h: null,
    low24h: null,
    change24hPct: null,
    baseVolume24h: null,
    quoteVolume24h: null,
    fundingRate: null,
    nextFundingTime: null,
    openInterestValue: null,
    timestamp: 0,
  };
  it('buy at the ask and sell at the bid', () => {
    expect(tickerLiquidity(ticker, 'buy').enter(d(3)).price.toString()).toBe('100.5');
    expect(tickerLiquidity(ticker, 'sell').exit(d(3)).notional.toString()).toBe('298.5');
  });
});
