import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { readOnlyMarket } from './analysis-shared.js';

export const scanMarketMoversTool = defineTool({
  name: 'scan_market_movers',
  title: 'Market movers',
  description: 'Top gainers and losers: perpetuals that moved >= threshold_pct in 24h, biggest first; illiquid, held and cooling-down coins left out.',
  input: {
    threshold_pct: z.number().gt(0).max(100).optional(),
    limit: z.number().int().min(1).max(50).optional(),
  },
  output: {
    items: z.array(z.looseObject({})),
    hasMore: z.boolean(),
    scanned: z.number(),
    held: z.array(z.looseObject({})),
  },
  annotations: readOnlyMarket,
  handler: async ({ threshold_pct, limit }, deps, { progress }) => {
    const scan = await (await import('../../scanner/momentum.js')).scanMovers(deps, { thresholdPct: threshold_pct, limit, progress });
    return {
      items: scan.items.map(({ market: _market, ...m }) => m),
      hasMore: scan.hasMore,
      scanned: scan.scanned,
      held: scan.held,
    };
  },
});
