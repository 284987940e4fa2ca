import { z } from 'zod';
import { TOKEN_PERIODS } from '../../usage/periods.js';
import { defineTool } from '../define-tool.js';

const n = z.number();
const totals = { requests: n, inputTokens: n, outputTokens: n, cacheReadTokens: n, cacheWriteTokens: n, costUsd: n, estimatedCostUsd: n };
const totalsOut = z.object(totals);
const bucket = z.object({ start: z.string(), provider: z.string(), ...totals });
const session = z.object({ sessionId: z.string(), operation: z.string(), runs: n, startedAt: z.string(), lastActivityAt: z.string(), ...totals });
const window = z.object({
  window: z.enum(['hourly', 'daily']),
  requests: n,
  limit: n,
  pct: n,
  status: z.enum(['green', 'yellow', 'red']),
  level: z.enum(['ok', 'warning', 'critical', 'limit']),
  tokens: n,
  openedAt: z.string().nullable(),
  resetsAt: z.string().nullable(),
});

export const getTokenReportTool = defineTool({
  name: 'get_token_report',
  title: 'LLM spend report',
  description: 'LLM spend and tokens: Claude and Perplexity requests, tokens, USD by hour, day or session; request windows.',
  input: { period: z.enum(TOKEN_PERIODS).default('daily') },
  // The period and the time of the answer are left out of the output: the caller knows both.
  output: {
    from: z.string(),
    trackingEnabled: z.boolean(),
    providers: z.object({ anthropic: totalsOut, perplexity: totalsOut }),
    windows: z.array(window),
    items: z.array(z.union([bucket, session])),
    hasMore: z.boolean(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ period }, deps) => {
    const { tokenReport } = await import('../../usage/report.js');
    const { period: _period, to: _to, ...report } = await tokenReport(deps, period);
    return report;
  },
});
