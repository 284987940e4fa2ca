import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { symbolArg } from '../schemas.js';
import { clampOut, fillOut, numbersOut, portfolioArg } from './paper-shared.js';

const price = z.number().positive();

export const submitTradingSignalTool = defineTool({
  name: 'submit_trading_signal',
  title: 'Submit trading signal',
  description:
    'Trade signal: propose a paper trade; fixed risk rules decide, size and fill it at book prices plus fee; stop and target execute themselves. A signal_id trades once.',
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
    note: z.string().optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  handler: async (args, deps, { binding }) => {
    const [{ submitSignal }, { bindSignal }] = await Promise.all([import('../../signals/submit.js'), import('../../signals/binding.js')]);
    const bound = await bindSignal(deps, args, binding);
    const outcome = await submitSignal(deps, bound.input);
    return bound.note ? { ...outcome, note: bound.note } : outcome;
  },
});
