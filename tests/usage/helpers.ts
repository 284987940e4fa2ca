/** Shared pieces of the token-accounting tests: an in-process CLI, a migrated database, and agent
 * run results shaped as the Claude backend returns them. */
import type { AgentMessageUsage, AgentModelUsage, AgentRunResult } from '../../src/agent/types.js';
import { runCliInProcess } from '../helpers/cli.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const cli = (args: string[], env: Record<string, string>) => runCliInProcess(args, env);

export async function memoryDb(): Promise<Database> {
  const d = openDatabase(':memory:');
  await migrateToLatest(d.db);
  return d;
}

export const MODEL = 'claude-sonnet-4-5';
/** USD per token at the list prices. */
export const LIST = { input: 3e-6, output: 15e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6 };

export function message(messageId: string, input: number, cacheRead = 0, cacheWrite = 0, model = MODEL): AgentMessageUsage {
  // As the SDK reports it: the stream's opening figures, output 1.
  return { messageId, model, inputTokens: input, outputTokens: 1, cacheReadInputTokens: cacheRead, cacheCreationInputTokens: cacheWrite };
}

export function runResult(over: Partial<AgentRunResult> & { modelUsage: Record<string, AgentModelUsage> }): AgentRunResult {
  const usage = Object.values(over.modelUsage).reduce(
    (s, u) => ({
      inputTokens: s.inputTokens + u.inputTokens,
      outputTokens: s.outputTokens + u.outputTokens,
      cacheReadInputTokens: s.cacheReadInputTokens + u.cacheReadInputTokens,
      cacheCreationInputTokens: s.cacheCreationInputTokens + u.cacheCreationInputTokens,
    }),
    { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  );
  const total = Object.values(over.modelUsage).reduce((s, u) => s + u.costUsd, 0);
  return {
    sessionId: '11111111-2222-4333-8444-555555555555',
    resumed: false,
    isError: false,
    errorCode: null,
    errorMessage: null,
    text: 'done',
    numTurns: over.messageUsage?.length ?? 1,
    durationMs: 10,
    toolCalls: [],
    usage,
    totalCostUsd: total,
    runCostUsd: total,
    messageUsage: [],
    usageExact: true,
    ...over,
  };
}
