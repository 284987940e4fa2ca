/** Output shapes shared by the paper-trading tools. tools/list shows only their top level; the
 * full shapes are enforced on every answer before it leaves the server. */
import { z } from 'zod';

export const portfolioArg = z.string().min(1).max(40).optional();
export const symbolFilter = z.string().min(1).max(40).optional();

const n = z.number();
const nn = z.number().nullable();
const direction = z.enum(['long', 'short']);

export const positionOut = z.object({
  id: n,
  symbol: z.string(),
  direction,
  quantity: n,
  entryPrice: n,
  markPrice: n,
  stopLoss: nn,
  takeProfit: nn,
  notional: n,
  margin: n,
  leverage: n,
  unrealizedPnl: n,
  unrealizedPct: nn,
  fundingPaid: n,
  liquidationPrice: nn,
  openedAt: z.string(),
  markAt: z.string(),
  stale: z.literal(true).optional(),
});

export const closedOut = z.object({
  id: n,
  symbol: z.string(),
  direction,
  reason: z.string(),
  entryPrice: n,
  exitPrice: n,
  quantity: n,
  exitFee: n,
  realizedPnl: n,
  at: z.string(),
});

export const fillOut = z.object({
  positionId: n,
  side: z.enum(['buy', 'sell']),
  mode: z.enum(['realistic', 'instant']),
  price: n,
  quantity: n,
  notional: n,
  fee: n,
  margin: n,
  leverage: n,
  slippagePct: n,
  liquidationPrice: nn,
});

export const clampOut = z.object({ code: z.string(), from: n, to: n });
export const numbersOut = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const symbolPnlOut = z.object({
  symbol: z.string(),
  totalPnl: n,
  realizedPnl: n,
  unrealizedPnl: n,
  trades: n,
  open: z.boolean(),
  winRate: nn,
});

export const signalItemOut = z.object({
  id: n,
  signalId: z.string().nullable(),
  at: z.string(),
  symbol: z.string(),
  direction,
  confidence: n,
  entry: n,
  stopLoss: n,
  takeProfit: n,
  status: z.string(),
  code: z.string().nullable(),
  reason: z.string().nullable(),
  analysis: z.string(),
  analysisCut: z.literal(true).optional(),
  position: z.object({ id: n, state: z.enum(['open', 'closed']), exitReason: z.string().nullable(), exitPrice: nn, realizedPnl: nn }).nullable(),
});
