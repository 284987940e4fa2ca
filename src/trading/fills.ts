/**
 * How a paper market order fills. Pure functions over an order book or a ticker.
 *
 * - realistic (default): walk the book level by level for the quantity; the price is the VWAP of
 *   the levels taken. Entries take levels only up to MAX_SLIPPAGE_PCT from the best price, like an
 *   IOC order with a protective limit: the size is cut to what fills there (never a worse price).
 *   Exits must close the whole position: they walk as deep as needed, and any quantity beyond the
 *   visible depth fills at the worst visible level moved a further MAX_SLIPPAGE_PCT against us.
 * - instant: buy at the ask, sell at the bid (last price when the ticker has no quotes).
 *
 * Never the requested or entry price. Fees are the caller's (taker fee on the notional).
 */
import type { OrderBook, Ticker } from '../market/types.js';
import { Dec, ZERO, toDec } from '../shared/money.js';

export type Side = 'buy' | 'sell';
export type FillMode = 'realistic' | 'instant';

export interface Execution {
  quantity: Dec;
  /** Sum of price × quantity over the levels taken. */
  notional: Dec;
  /** notional / quantity. */
  price: Dec;
  /** Whether part of it filled beyond the visible depth (exits only). */
  beyondDepth: boolean;
}

/** What can be bought or sold right now, and at what cost. */
export interface Liquidity {
  mode: FillMode;
  side: Side;
  /** Best price on the side we take (ask for a buy, bid for a sell). */
  best: Dec;
  /** Mid price (or last when one side of the quote is missing). */
  mid: Dec;
  /** Worst price an entry may take (best ± MAX_SLIPPAGE_PCT); null in instant mode. */
  limit: Dec | null;
  /** Most quantity an entry can take within the limit; null = unbounded (instant). */
  maxEntryQty: Dec | null;
  /** Largest quantity whose entry notional stays within `notional` (unrounded). */
  qtyForNotional(notional: Dec): Dec;
  /** Execute an entry of `qty` (≤ maxEntryQty). */
  enter(qty: Dec): Execution;
  /** Execute an exit of `qty`: always fills completely. */
  exit(qty: Dec): Execution;
}

type Level = [Dec, Dec];

export function bookLiquidity(book: OrderBook, side: Side, maxSlippagePct: number): Liquidity {
  const raw = side === 'buy' ? book.asks : book.bids;
  const levels: Level[] = raw.map(([p, q]) => [toDec(p), toDec(q)]);
  const first = levels[0];
  const bestBid = book.bids[0];
  const bestAsk = book.asks[0];
  if (!first || !bestBid || !bestAsk) throw new RangeError('empty order book');
  const best = first[0];
  const mid = toDec(bestBid[0]).plus(toDec(bestAsk[0])).div(2);
  const cap = toDec(maxSlippagePct).div(100);
  const limit = side === 'buy' ? best.times(cap.plus(1)) : best.times(new Dec(1).minus(cap));
  const within = levels.filter(([p]) => (side === 'buy' ? p.lte(limit) : p.gte(limit)));
  const maxEntryQty = within.reduce((a, [, q]) => a.plus(q), ZERO);
  const worst = levels[levels.length - 1]![0];
  const beyond = side === 'buy' ? worst.times(cap.plus(1)) : worst.times(new Dec(1).minus(cap));

  const walk = (list: Level[], qty: Dec, rest: Dec | null): Execution => {
    let left = qty;
    let notional = ZERO;
    for (const [p, q] of list) {
      if (left.lte(0)) break;
      const take = Dec.min(left, q);
      notional = notional.plus(p.times(take));
      left = left.minus(take);
    }
    let beyondDepth = false;
    if (left.gt(0)) {
      if (!rest) throw new RangeError('quantity exceeds the liquidity within the slippage limit');
      notional = notional.plus(rest.times(left));
      beyondDepth = true;
    }
    return { quantity: qty, notional, price: qty.isZero() ? best : notional.div(qty), beyondDepth };
  };

  return {
    mode: 'realistic',
    side,
    best,
    mid,
    limit,
    maxEntryQty,
    qtyForNotional(target) {
      let left = target;
      let qty = ZERO;
      for (const [p, q] of within) {
        if (left.lte(0)) break;
        const cost = p.times(q);
        if (cost.lte(left)) {
          qty = qty.plus(q);
          left = left.minus(cost);
        } else {
          qty = qty.plus(left.div(p));
          left = ZERO;
        }
      }
      return qty;
    },
    enter: (qty) => walk(within, qty, null),
    exit: (qty) => walk(levels, qty, beyond),
  };
}

export function tickerLiquidity(ticker: Ticker, side: Side): Liquidity {
  const last = toDec(ticker.last);
  const bid = ticker.bid !== null ? toDec(ticker.bid) : null;
  const ask = ticker.ask !== null ? toDec(ticker.ask) : null;
  const mid = bid && ask ? bid.plus(ask).div(2) : last;
  const best = (side === 'buy' ? ask : bid) ?? last;
  const at = (qty: Dec): Execution => ({ quantity: qty, notional: best.times(qty), price: best, beyondDepth: false });
  return {
    mode: 'instant',
    side,
    best,
    mid,
    limit: null,
    maxEntryQty: null,
    qtyForNotional: (notional) => notional.div(best),
    enter: at,
    exit: at,
  };
}

/**
 * An exit triggered at an earlier price (a stop or target hit inside a past candle): the order
 * met the book then, which we no longer have, so the current book's cost relative to its mid
 * (half the spread plus the depth walked) is applied to the trigger price.
 */
export function exitAtReference(liquidity: Liquidity, qty: Dec, reference: Dec): Execution {
  const now = liquidity.exit(qty);
  const ratio = now.price.div(liquidity.mid);
  const price = reference.times(ratio);
  return { quantity: qty, notional: price.times(qty), price, beyondDepth: now.beyondDepth };
}

/** Execution cost against the mid, % (positive = paid). */
export function slippagePct(side: Side, price: Dec, mid: Dec): number {
  const diff = side === 'buy' ? price.minus(mid) : mid.minus(price);
  return diff.div(mid).times(100).toDecimalPlaces(4).toNumber();
}
