import { z } from 'zod';
import { submitSignal } from '../../signals/submit.js';
import { defineTool } from '../define-tool.js';
import { symbolArg } from '../schemas.js';
import { clampOut, fillOut, numbersOut, portfolioArg } from './paper-shared.js';

const price = z.number().positive();

export const submitTradingSignal = defineTool({
  name: 'submit_trading_signal',
  title: 'Submit trading signal',
  description:
    'Propose a trade; fixed risk rules decide. Always stored; below MIN_CONFIDENCE only recorded. Else checked against the live price and ATR, sized from the stop distance (risk % of equity, caps, cash), filled on the paper portfolio at order-book prices plus fee; stop and target then execute by themselves. ' +
    'Answer: status executed|rejected|recorded, code, reason, numbers, fill. Same signal_id = same answer, one trade.',
  input: {
    symbol: symbolArg,
    direction: z.enum(['long', 'short']),
    confidence: z.number().min(0).max(100),
    entry_price: price,
    stop_loss: price,
    take_profit: price,
    analysis: z.string().max(4000),
    timeframe: z.string().max(10).optional(),
    technical_score: z.number().optional(),
    sentiment_score: z.number().optional(),
    portfolio: portfolioArg,
    signal_id: z.string().min(1).max(64).optional(),
  },
  output: {
    id: z.number(),
    signalId: z.string().nullable(),
    status: z.enum(['executed', 'rejected', 'recorded']),
    replayed: z.boolean(),
    code: z.string().nullable(),
    reason: z.string(),
    fill: fillOut.nullable(),
    clamps: z.array(clampOut),
    numbers: numbersOut,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  handler: (args, deps) => submitSignal(deps, args),
});
