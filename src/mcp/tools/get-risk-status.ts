import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { portfolioArg } from './paper-shared.js';

const n = z.number();

export const getRiskStatusTool = defineTool({
  name: 'get_risk_status',
  title: 'Risk status',
  description: 'Risk limits and their use: positions, exposure room, daily loss limit, breaker, halt, cooldowns, rejections, exchange request budget.',
  input: { portfolio: portfolioArg },
  output: {
    halted: z.boolean(),
    haltReason: z.string().nullable(),
    breakerTripped: z.boolean(),
    limits: z.object({
      minConfidence: n,
      minRiskReward: n,
      maxEntryDeviationPct: n,
      stopAtrRange: z.tuple([n, n]),
      riskPerTradePct: n,
      maxPositionSizePct: n,
      maxTotalExposurePct: n,
      maxOpenPositions: n,
      dailyLossLimitPct: n,
      cooldownMinutes: n,
      leverage: n,
      fillMode: z.enum(['realistic', 'instant']),
      takerFeeRate: n,
      maxSlippagePct: n,
    }),
    usage: z.object({
      equity: n,
      cash: n,
      openPositions: n,
      exposure: n,
      exposurePct: n.nullable(),
      exposureRoom: n,
      realizedToday: n,
      dailyLossLimit: n,
    }),
    cooldowns: z.array(z.object({ symbol: z.string(), until: z.string() })),
    recentRejections: z.array(z.object({ id: n, at: z.string(), symbol: z.string(), code: z.string().nullable() })),
    warnings: z.array(z.string()).optional(),
    budget: z
      .object({
        limiter: z.enum(['budget', 'ccxt', 'off']),
        capacityPer5s: n.nullable(),
        exchangeLimitPer5s: n.nullable(),
        refillPerSec: n.nullable(),
        available: n.nullable(),
        usedLastMinute: n.nullable(),
        waiting: n,
        backoff: z.object({ until: z.string(), reason: z.enum(['403', '429', '10006', '10018']) }).nullable(),
      })
      .nullable(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async ({ portfolio }, deps) => (await import('../../portfolio/risk-status.js')).getRiskStatus(deps, { portfolio }),
});
