import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { portfolioArg, symbolFilter } from './paper-shared.js';

const n = z.number();

export const closePositionTool = defineTool({
  name: 'close_position',
  title: 'Close position',
  description: 'Close an open paper position at market (book price, taker fee) by position_id or symbol.',
  input: { position_id: z.number().int().positive().optional(), symbol: symbolFilter, portfolio: portfolioArg },
  output: {
    id: n,
    symbol: z.string(),
    reason: z.string(),
    exitPrice: n,
    exitFee: n,
    realizedPnl: n,
    closedByLevel: z.boolean(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  handler: async ({ position_id, symbol, portfolio }, deps) => {
    const [{ closePosition }, { closedView }] = await Promise.all([import('../../trading/close.js'), import('../../portfolio/status.js')]);
    const result = await closePosition(deps, { positionId: position_id, symbol, portfolio });
    return { ...closedView(result.closed), closedByLevel: result.closedByLevel };
  },
});
