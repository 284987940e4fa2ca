/**
 * A second process for the daily-session test: opens the same database file and agent folder as
 * the test, takes today's daily session and runs one analysis through the real Claude Agent SDK.
 * Settings come from the environment (like the CLI); NOW freezes the clock. Prints one JSON line.
 */
import { createClaudeAgent, createDeps } from '../../src/app.js';
import { analystPrompts } from '../../src/agent/prompts.js';
import { getOrCreateDailySession, recordDailySessionRun, utcDay } from '../../src/agent/sessions.js';
import { loadConfig } from '../../src/config.js';

const now = Number(process.env.NOW);
const clock = { now: () => now };
const config = loadConfig({ env: process.env });
const app = await createDeps(config, { writeLog: (line) => void process.stderr.write(line), clock });
try {
  const daily = await getOrCreateDailySession(app.deps.db, 'scanner', clock);
  const agent = createClaudeAgent(app, { baseEnv: process.env });
  const { systemPrompt, prompt } = await analystPrompts(
    { kind: 'mover', symbol: 'ETH/USDT', direction: 'loser', change: '-6.1' },
    { operation: 'scanner', date: utcDay(now) },
  );
  const result = await agent.run({
    prompt,
    systemPrompt,
    session: daily.resume ? { mode: 'resume', sessionId: daily.sessionId } : { mode: 'new', sessionId: daily.sessionId },
    maxTurns: 5,
    maxBudgetUsd: 1,
    model: config.CLAUDE_MODEL,
    attribution: { operation: 'scanner', symbol: 'ETH/USDT' },
  });
  await recordDailySessionRun(app.deps.db, daily.key, result, clock);
  process.stdout.write(JSON.stringify({ daily, result }) + '\n');
} finally {
  await app.close();
}
