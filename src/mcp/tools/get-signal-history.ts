import { z } from 'zod';
import { SIGNAL_STATUSES } from '../../signals/statuses.js';
import { defineTool } from '../define-tool.js';
import { portfolioArg, signalItemOut, symbolFilter } from './paper-shared.js';

/** Each answer carries at most this much of a signal's analysis (the CLI's --json has it whole). */
const ANALYSIS_CHARS = 300;

export const getSignalHistoryTool = defineTool({
  name: 'get_signal_history',
  title: 'Signal history',
  description: 'Past trade signals, newest first: levels, status, reason code, analysis (≤300 chars), and the position each opened.',
  input: {
    symbol: symbolFilter,
    status: z.enum(SIGNAL_STATUSES).optional(),
    portfolio: portfolioArg,
    limit: z.number().int().min(1).max(50).default(10),
  },
  output: { items: z.array(signalItemOut), hasMore: z.boolean() },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async (args, deps) => (await import('../../signals/history.js')).getSignalHistory(deps.db, { ...args, analysisChars: ANALYSIS_CHARS }),
});
