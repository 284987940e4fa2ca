import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { closedOut, portfolioArg, positionOut, symbolFilter } from './paper-shared.js';

const n = z.number();

export const getPortfolioStatusTool = defineTool({
  name: 'get_portfolio_status',
  title: 'Portfolio status',
  description: 'Paper portfolio: equity, cash, margin, P&L, exposure, positions (stale:true = last known mark), justClosed, halt, breaker.',
  input: { portfolio: portfolioArg, symbol: symbolFilter },
  output: {
    portfolio: z.string(),
    asOf: z.string(),
    account: z.object({
      startingBalance: n,
      equity: n,
      cash: n,
      margin: n,
      unrealizedPnl: n,
      realizedPnl: n,
      returnPct: n.nullable(),
      exposure: n,
      exposurePct: n.nullable(),
    }),
    positions: z.object({ items: z.array(positionOut), hasMore: z.boolean() }),
    justClosed: z.array(closedOut),
    halted: z.boolean(),
    haltReason: z.string().nullable(),
    breaker: z.object({ tripped: z.boolean(), realizedToday: n, limit: n }),
    warnings: z.array(z.string()).optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async ({ portfolio: asked, symbol }, deps, { binding }) => {
    // An unattended analysis reads the portfolio its run trades.
    const portfolio = binding?.portfolio ?? asked;
    const {
      portfolio: name,
      asOf,
      positions,
      justClosed,
      halted,
      haltReason,
      breaker,
      warnings,
      ...account
    } = await (await import('../../portfolio/status.js')).getPortfolioStatus(deps, { portfolio, symbol });
    return { portfolio: name, asOf, account, positions, justClosed, halted, haltReason, breaker, ...(warnings ? { warnings } : {}) };
  },
  view: {
    name: 'portfolio',
    data: async (_args, out, deps) => {
      const { chartPosition, portfolioChart } = await import('../../charts/portfolio.js');
      return portfolioChart(deps, {
        portfolio: out.portfolio,
        period: 'All Time',
        from: null,
        equity: out.account.equity,
        at: Date.parse(out.asOf),
        returnPct: out.account.returnPct,
        positions: out.positions.items.map(chartPosition),
      });
    },
  },
});
