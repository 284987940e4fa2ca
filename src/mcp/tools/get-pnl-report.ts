import { z } from 'zod';
import { PERIODS } from '../../portfolio/periods.js';
import { defineTool } from '../define-tool.js';
import { portfolioArg, symbolPnlOut } from './paper-shared.js';

const n = z.number();
const nn = z.number().nullable();

export const getPnlReportTool = defineTool({
  name: 'get_pnl_report',
  title: 'P&L report',
  description:
    'Profit and loss over UTC days (daily=7, weekly=28, monthly=365, all): win rate, profit factor, expectancy, drawdown, fees, funding, by symbol, equity curve.',
  input: {
    portfolio: portfolioArg,
    period: z.enum(PERIODS).default('all'),
    min_trades: z.number().int().min(0).default(1),
  },
  output: {
    portfolio: z.string(),
    period: z.enum(PERIODS),
    summary: z.object({
      from: z.string().nullable(),
      to: z.string(),
      startBalance: n,
      equity: n,
      totalPnl: n,
      totalPnlPct: nn,
      realizedPnl: n,
      unrealizedPnl: n,
      feesPaid: n,
      fundingPaid: n,
      trades: n,
      wins: n,
      losses: n,
      winRate: nn,
      profitFactor: nn,
      expectancy: nn,
      maxDrawdown: n,
      maxDrawdownPct: nn,
    }),
    bySymbol: z.object({ items: z.array(symbolPnlOut), hasMore: z.boolean() }),
    equityCurve: z.array(z.object({ t: z.string(), equity: n })),
    llmCost: z.object({
      spentUsd: n,
      byProvider: z.record(z.string(), n),
      signals: n,
      executed: n,
      perSignal: nn,
      perExecutedTrade: nn,
      realizedPnl: n,
      netAfterLlm: n,
      summary: z.string(),
    }),
    warnings: z.array(z.string()).optional(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async ({ portfolio, period, min_trades }, deps) => {
    const {
      portfolio: name,
      period: p,
      periodLabel: _label,
      bySymbol,
      equityCurve,
      llmCost,
      warnings,
      ...summary
    } = await (await import('../../portfolio/pnl-report.js')).getPnlReport(deps, { portfolio, period, minTrades: min_trades });
    return { portfolio: name, period: p, summary, bySymbol, equityCurve, llmCost, ...(warnings ? { warnings } : {}) };
  },
  view: {
    name: 'portfolio',
    data: async (_args, out, deps) => {
      const [{ portfolioChart }, { PERIOD_LABEL }] = await Promise.all([import('../../charts/portfolio.js'), import('../../portfolio/pnl-report.js')]);
      const s = out.summary;
      return portfolioChart(deps, {
        portfolio: out.portfolio,
        period: PERIOD_LABEL[out.period],
        from: s.from === null ? null : Date.parse(s.from),
        equity: s.equity,
        at: Date.parse(s.to),
        returnPct: s.totalPnlPct,
      });
    },
  },
});
