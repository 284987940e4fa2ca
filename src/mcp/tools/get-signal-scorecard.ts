import { z } from 'zod';
import { ANALYSTS, MAX_SCORECARD_SYMBOLS } from '../../outcomes/vocabulary.js';
import { defineTool } from '../define-tool.js';

const n = z.number();
const nn = z.number().nullable();

const group = z.object({
  key: z.string(),
  signals: n,
  decided: n,
  pending: n,
  targets: n,
  stops: n,
  expired: n,
  hitRate: nn,
  avgR: nn,
  totalR: n,
});

const costLine = { spentUsd: n, signals: n, executed: n, realizedPnl: n };

export const getSignalScorecardTool = defineTool({
  name: 'get_signal_scorecard',
  title: 'Signal scorecard',
  description: 'How past signals played out: hit rate and avg R by confidence, analyst, direction, symbol; LLM spend vs P&L. since: ISO, 7d, 12h.',
  input: {
    since: z.string().min(2).max(40).optional(),
    analyst: z.enum(ANALYSTS).optional(),
  },
  output: {
    since: z.string().nullable(),
    to: z.string(),
    analyst: z.string(),
    horizonHours: n,
    totals: group.extend({ unscored: n, avgMfeR: nn, avgMaeR: nn, medianHoursToTarget: nn, medianHoursToStop: nn }),
    byConfidence: z.array(group.extend({ avgConfidence: nn })),
    byAnalyst: z.array(group),
    byDirection: z.array(group),
    byStatus: z.array(group),
    rejectedByCode: z.array(group),
    bySymbol: z.object({ items: z.array(group).max(MAX_SCORECARD_SYMBOLS), hasMore: z.boolean() }),
    cost: z.object({
      spentUsd: n,
      byProvider: z.record(z.string(), n),
      analyses: n,
      signals: n,
      executed: n,
      closedTrades: n,
      realizedPnl: n,
      netUsd: n,
      perAnalysis: nn,
      perSignal: nn,
      perExecutedTrade: nn,
      summary: z.string(),
      byAnalyst: z.array(z.object({ analyst: z.string(), ...costLine, analyses: n, perSignal: nn })),
      bySymbol: z.object({ items: z.array(z.object({ symbol: z.string(), ...costLine })), hasMore: z.boolean() }),
      byDay: z.array(z.object({ day: z.string(), ...costLine })),
    }),
  },
  // Like get_portfolio_status and get_pnl_report, it brings the desk up to date before it reads
  // (stored outcomes, whose decided ones never change; stops and targets already due); it never
  // takes a decision of its own.
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async ({ since, analyst }, deps) => {
    const { evaluation: _evaluation, ...card } = await (await import('../../outcomes/scorecard.js')).getSignalScorecard(deps, { since, analyst });
    return card;
  },
  view: { name: 'scorecard', data: async (_args, out) => (await import('../../charts/scorecard.js')).scorecardChart(out) },
});
