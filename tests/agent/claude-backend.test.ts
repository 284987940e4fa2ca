/**
 * The Claude analyst end to end: the real Claude Agent SDK and its real `claude` binary, against
 * our loopback fake of the Anthropic Messages API, with the desk's own MCP server attached
 * in-process on the simulated exchange. Each run starts the binary (about 0.6 s).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analystPrompts } from '../../src/agent/prompts.js';
import { getOrCreateDailySession, listDailySessions, recordDailySessionRun, utcDay } from '../../src/agent/sessions.js';
import { cctraderToolCalls, type AgentRunRequest, type AgentRunResult } from '../../src/agent/types.js';
import { createClaudeAgent } from '../../src/app.js';
import { apiError, requestText, startFakeAnthropic, text, toolResults, toolUse, type FakeAnthropic, type FakeUsage } from '../fakes/anthropic.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { childEnv } from '../helpers/spawn.js';

const NOW = Date.parse('2026-11-20T12:34:56Z');
const MODEL = 'claude-sonnet-4-5';
/** Claude Sonnet 4.5 list prices, USD per token: input, output, cache read, cache write (5 min). */
const PRICE = { input: 3e-6, output: 15e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6 };
const cost = (u: FakeUsage) =>
  u.input_tokens * PRICE.input +
  u.output_tokens * PRICE.output +
  (u.cache_read_input_tokens ?? 0) * PRICE.cacheRead +
  (u.cache_creation_input_tokens ?? 0) * PRICE.cacheWrite;

let fake: FakeAnthropic;
let desk: TestDesk;
let dir: string;
let agent: ReturnType<typeof createClaudeAgent>;

const request = (overrides: Partial<AgentRunRequest> = {}): AgentRunRequest => ({
  prompt: 'What is the price of BTC/USDT right now?',
  systemPrompt: 'You are the cctrader analyst (test).',
  session: { mode: 'new' },
  maxTurns: 6,
  maxBudgetUsd: 1,
  model: MODEL,
  attribution: { operation: 'analysis', symbol: 'BTC/USDT' },
  ...overrides,
});

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-test-key' });
  dir = mkdtempSync(join(tmpdir(), 'cctrader-agent-'));
  desk = await startTestDesk({
    sim: { now: NOW },
    env: {
      DB_PATH: join(dir, 'desk.db'),
      AGENT_DIR: join(dir, 'agent'),
      ANTHROPIC_API_KEY: 'sk-ant-test-key',
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
    },
  });
  agent = createClaudeAgent(desk.app, { baseEnv: childEnv({}) });
});

afterAll(async () => {
  await desk?.close();
  await fake?.close();
});

describe('a run that calls a cctrader tool', () => {
  it('executes the tool through MCP, sends its answer back to the model, and reports the scripted usage and cost', async () => {
    fake.reset();
    const turn1: FakeUsage = { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 300, cache_creation_input_tokens: 500 };
    const turn2: FakeUsage = { input_tokens: 1500, output_tokens: 120, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 };
    fake.script(toolUse('mcp__cctrader__get_current_price', { symbol: 'BTC/USDT' }, turn1), text('BTC/USDT trades near the quoted last price.', turn2));

    const result = await agent.run(request());

    expect(result.isError, result.errorMessage ?? '').toBe(false);
    expect(result.errorCode).toBeNull();
    expect(result.text).toBe('BTC/USDT trades near the quoted last price.');
    expect(result.numTurns).toBe(2);
    expect(result.resumed).toBe(false);
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);

    // The tool ran for real on the simulator, and its answer reached the model's next request.
    const calls = cctraderToolCalls(result);
    expect(calls.map((c) => [c.tool, c.input])).toEqual([['get_current_price', { symbol: 'BTC/USDT' }]]);
    expect(calls[0]?.isError).toBe(false);
    const direct = await desk.call('get_current_price', { symbol: 'BTC/USDT' });
    const sent = fake.messageRequests();
    expect(sent).toHaveLength(2);
    const results = toolResults(sent[1]!);
    expect(results).toHaveLength(1);
    expect(results[0]!.isError).toBe(false);
    const quoted = JSON.parse(results[0]!.text.split('\n')[0]!);
    expect(quoted.symbol).toBe('BTC/USDT:USDT');
    expect(quoted.last).toBe(direct.data.last);

    // What the model was sent: our system prompt, our key, only the analyst's tools.
    expect(JSON.stringify(sent[0]!.body.system)).toContain('You are the cctrader analyst (test).');
    expect(sent[0]!.headers['x-api-key']).toBe('sk-ant-test-key');
    expect(sent[0]!.body.model).toBe(MODEL);
    expect(sent[0]!.body.stream).toBe(true);
    const toolNames: string[] = sent[0]!.body.tools.map((t: { name: string }) => t.name);
    expect(toolNames).toContain('mcp__cctrader__get_current_price');
    expect(toolNames.every((n) => n.startsWith('mcp__cctrader__'))).toBe(true);
    expect(toolNames).not.toContain('mcp__cctrader__close_position');
    // Nothing but model requests (no /api/hello, no title generation).
    expect(fake.requests.every((r) => r.method === 'POST' && r.path.startsWith('/v1/messages'))).toBe(true);

    // Usage and cost: exactly the scripted numbers, priced by the SDK.
    expect(result.usageExact).toBe(true);
    expect(result.usage).toEqual({ inputTokens: 2700, outputTokens: 200, cacheReadInputTokens: 1300, cacheCreationInputTokens: 500 });
    expect(Object.keys(result.modelUsage)).toEqual([MODEL]);
    expect(result.modelUsage[MODEL]).toMatchObject({ inputTokens: 2700, outputTokens: 200, cacheReadInputTokens: 1300, cacheCreationInputTokens: 500 });
    expect(result.totalCostUsd).toBeCloseTo(cost(turn1) + cost(turn2), 9);
    expect(result.runCostUsd).toBeCloseTo(result.totalCostUsd, 9);
    expect(result.modelUsage[MODEL]!.costUsd).toBeCloseTo(result.totalCostUsd, 9);
    // One record per assistant message id, with its input figures.
    expect(result.messageUsage).toHaveLength(2);
    expect(new Set(result.messageUsage.map((m) => m.messageId)).size).toBe(2);
    expect(result.messageUsage.map((m) => m.inputTokens)).toEqual([1200, 1500]);
  });
});

describe('a mover analysis through the real tools', () => {
  it('snapshot and sentiment in one turn, then a signal built from them lands in the database', async () => {
    fake.reset();
    const { systemPrompt, prompt } = await analystPrompts({ kind: 'mover', symbol: 'BTC/USDT', direction: 'up', change: '6.4', signalId: 'agent-test-btc-1' });
    let levels: { entry: number; stop: number; target: number } | undefined;
    fake.script(
      {
        kind: 'tool_use',
        text: 'Gathering evidence.',
        tools: [
          { name: 'mcp__cctrader__fetch_technical_snapshot', input: { symbol: 'BTC/USDT' } },
          { name: 'mcp__cctrader__fetch_sentiment_data', input: { symbol: 'BTC/USDT', include_news: false } },
        ],
      },
      {
        kind: 'dynamic',
        respond: (req) => {
          const [snapshot, sentiment] = toolResults(req);
          if (!snapshot || !sentiment || snapshot.isError || sentiment.isError) return text('The tools failed; no signal.');
          const snap = JSON.parse(snapshot.text.split('\n')[0]!);
          const entry = snap.price as number;
          const distance = snap.stopDistance.price as number;
          levels = { entry, stop: entry - distance, target: entry + 2.5 * distance };
          return toolUse('mcp__cctrader__submit_trading_signal', {
            symbol: 'BTC/USDT',
            direction: 'long',
            confidence: 72,
            entry_price: levels.entry,
            stop_loss: levels.stop,
            take_profit: levels.target,
            analysis: 'Trend and momentum aligned; positioning not crowded.',
            timeframe: '1h',
            technical_score: 40,
            sentiment_score: 10,
            signal_id: 'agent-test-btc-1',
          });
        },
      },
      text('Submitted a long on BTC/USDT.'),
    );

    const result = await agent.run(request({ systemPrompt, prompt, attribution: { operation: 'scanner', symbol: 'BTC/USDT', cycleId: 'c1' } }));

    expect(result.isError, result.errorMessage ?? '').toBe(false);
    expect(cctraderToolCalls(result).map((c) => [c.tool, c.isError])).toEqual([
      ['fetch_technical_snapshot', false],
      ['fetch_sentiment_data', false],
      ['submit_trading_signal', false],
    ]);
    expect(levels).toBeDefined();
    const answer = JSON.parse(result.toolCalls[2]!.resultText!.split('\n')[0]!);
    expect(answer.status).toBe('executed');
    const row = await desk.app.deps.db.selectFrom('movers_signals').selectAll().where('signal_id', '=', 'agent-test-btc-1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ symbol: 'BTC/USDT:USDT', direction: 'long', confidence: 72, status: 'executed', timeframe: '1h' });
    expect(row.position_id).toBe(answer.fill.positionId);
    expect(Number(row.stop_loss)).toBeCloseTo(levels!.stop, 6);
    // The system prompt and the mover task reached the model.
    const first = fake.messageRequests()[0]!;
    expect(JSON.stringify(first.body.system)).toContain('You are the cctrader analyst');
    expect(requestText(first)).toContain("BTC/USDT is one of today's top gainers, +6.4% in 24 hours");
  });
});

describe('sessions', () => {
  it('a resumed run sends the earlier turns to the model, and the SDK cost becomes cumulative', async () => {
    fake.reset();
    const first: FakeUsage = { input_tokens: 1000, output_tokens: 100 };
    const second: FakeUsage = { input_tokens: 2000, output_tokens: 200 };
    fake.script(text('SOL looks extended; no signal (marker ALPHA-7).', first), text('ETH: still no signal.', second));
    const a = await agent.run(request({ prompt: 'Look at SOL/USDT.', session: { mode: 'new' } }));
    expect(a.isError).toBe(false);
    const b = await agent.run(request({ prompt: 'Now look at ETH/USDT.', session: { mode: 'resume', sessionId: a.sessionId } }));
    expect(b.isError, b.errorMessage ?? '').toBe(false);
    expect(b.sessionId).toBe(a.sessionId);
    expect(b.resumed).toBe(true);

    const [, resumed] = fake.messageRequests();
    const sent = requestText(resumed!);
    expect(sent).toContain('Look at SOL/USDT.');
    expect(sent).toContain('marker ALPHA-7');
    expect(sent).toContain('Now look at ETH/USDT.');
    // This run's own tokens, the session's cumulative cost, and this run's share of it.
    expect(b.usage.inputTokens).toBe(2000);
    expect(b.totalCostUsd).toBeCloseTo(cost(first) + cost(second), 9);
    expect(b.runCostUsd).toBeCloseTo(cost(second), 9);
    // Only this run's messages are reported, not the replayed history.
    expect(b.messageUsage.map((m) => m.inputTokens)).toEqual([2000]);
    expect(b.numTurns).toBe(1);
  });

  it('a new run with a chosen id whose transcript is missing starts fresh under that id; a resume of an unknown id does too', async () => {
    fake.reset();
    fake.script(text('fresh one'), text('fresh two'));
    const id = '6f1c1d1e-8a2b-4c3d-9e4f-a1b2c3d4e5f6';
    const r = await agent.run(request({ session: { mode: 'resume', sessionId: id } }));
    expect(r.isError, r.errorMessage ?? '').toBe(false);
    expect(r.sessionId).toBe(id);
    expect(r.resumed).toBe(false);
    // Asking for "new" again with the same id continues it instead of failing "already in use".
    const again = await agent.run(request({ prompt: 'second question', session: { mode: 'new', sessionId: id } }));
    expect(again.isError, again.errorMessage ?? '').toBe(false);
    expect(again.resumed).toBe(true);
    expect(requestText(fake.messageRequests()[1]!)).toContain('fresh one');
  });

  it('daily mode: the first analysis starts the day session, a second process resumes it, a new day starts another', async () => {
    fake.reset();
    const db = desk.app.deps.db;
    const clock = { now: () => NOW };
    const day = await getOrCreateDailySession(db, 'scanner', clock);
    expect(day).toMatchObject({ key: 'scanner-2026-11-20', resume: false });

    fake.script(text('BTC: long bias, confidence 55, recorded only (marker DAY-ONE).', { input_tokens: 800, output_tokens: 60 }));
    const prompts = await analystPrompts({ kind: 'mover', symbol: 'BTC/USDT', direction: 'up', change: '5.2' }, { operation: 'scanner', date: utcDay(NOW) });
    const first = await agent.run(
      request({ ...prompts, session: { mode: 'new', sessionId: day.sessionId }, attribution: { operation: 'scanner', symbol: 'BTC/USDT' } }),
    );
    expect(first.isError, first.errorMessage ?? '').toBe(false);
    await recordDailySessionRun(db, day.key, first, clock);

    // A second process: same database file, same agent folder, same day.
    fake.script(text('ETH: no trade (marker DAY-TWO).', { input_tokens: 900, output_tokens: 40 }));
    const child = await runChild({
      NOW: String(NOW + 3_600_000),
      DB_PATH: desk.config.DB_PATH!,
      AGENT_DIR: join(dir, 'agent'),
      EXCHANGE_BASE_URL: desk.sim.url,
      EXCHANGE_RATE_LIMIT: 'false',
      ANTHROPIC_API_KEY: 'sk-ant-test-key',
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
    });
    expect(child.code, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { daily: { sessionId: string; resume: boolean }; result: AgentRunResult };
    expect(out.daily).toMatchObject({ sessionId: day.sessionId, resume: true });
    expect(out.result.isError, out.result.errorMessage ?? '').toBe(false);
    expect(out.result.resumed).toBe(true);
    expect(out.result.sessionId).toBe(day.sessionId);
    const resumedRequest = requestText(fake.messageRequests().at(-1)!);
    expect(resumedRequest).toContain('marker DAY-ONE');
    expect(resumedRequest).toContain('ETH/USDT');
    // The daily preamble framed both runs.
    expect(JSON.stringify(fake.messageRequests().at(-1)!.body.system)).toContain('scanner session of 2026-11-20');

    const stored = (await listDailySessions(db)).find((s) => s.key === day.key);
    expect(stored).toMatchObject({ sessionId: day.sessionId, uses: 2, runs: 2 });
    expect(stored!.totalCostUsd).toBeCloseTo(out.result.totalCostUsd, 9);

    // The next UTC day has its own session.
    const tomorrow = await getOrCreateDailySession(db, 'scanner', { now: () => Date.parse('2026-11-21T00:00:01Z') });
    expect(tomorrow).toMatchObject({ key: 'scanner-2026-11-21', resume: false });
    expect(tomorrow.sessionId).not.toBe(day.sessionId);
  });
});

describe('failures come back as results with our codes', () => {
  it.each([
    [500, 'UPSTREAM_UNAVAILABLE'],
    [401, 'AUTH'],
    [429, 'RATE_LIMITED'],
  ] as const)('HTTP %i → %s, without throwing and without upstream text', async (status, code) => {
    fake.reset();
    fake.script(apiError(status, `upstream says: secret internals ${status}`));
    const result = await agent.run(request());
    expect(result.isError).toBe(true);
    expect(result.errorCode).toBe(code);
    expect(result.errorMessage).toMatch(new RegExp(String(status)));
    expect(result.errorMessage!.length).toBeLessThan(120);
    expect(JSON.stringify(result)).not.toContain('secret internals');
    expect(result.totalCostUsd).toBe(0);
    expect(fake.messageRequests()).toHaveLength(1); // CLAUDE_MAX_RETRIES=0
  });

  it('a tiny spend cap stops the run with BUDGET_EXCEEDED before the pending tool call runs', async () => {
    fake.reset();
    const big: FakeUsage = { input_tokens: 100_000, output_tokens: 5_000 };
    fake.script(toolUse('mcp__cctrader__get_current_price', { symbol: 'ETH/USDT' }, big), text('never reached'));
    const result = await agent.run(request({ maxBudgetUsd: 0.01 }));
    expect(result.isError).toBe(true);
    expect(result.errorCode).toBe('BUDGET_EXCEEDED');
    expect(result.errorMessage).toContain('$0.01');
    expect(result.totalCostUsd).toBeCloseTo(cost(big), 9);
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ name: 'mcp__cctrader__get_current_price', isError: null, resultText: null });
    expect(fake.messageRequests()).toHaveLength(1);
  });

  it('without an API key the run ends with AUTH ("Not logged in") and nothing is sent', async () => {
    fake.reset();
    const keyless = createClaudeAgent(
      { ...desk.app, deps: { ...desk.app.deps, config: { ...desk.config, ANTHROPIC_API_KEY: undefined } } },
      { baseEnv: childEnv({}) },
    );
    const result = await keyless.run(request());
    expect(result.isError).toBe(true);
    expect(result.errorCode).toBe('AUTH');
    expect(result.errorMessage).toMatch(/ANTHROPIC_API_KEY/);
    expect(fake.messageRequests()).toHaveLength(0);
  });

  it('the turn cap ends the run with MAX_TURNS after the first tool call ran', async () => {
    fake.reset();
    fake.script(toolUse('mcp__cctrader__get_current_price', { symbol: 'BTC/USDT' }), toolUse('mcp__cctrader__get_current_price', { symbol: 'ETH/USDT' }));
    const result = await agent.run(request({ maxTurns: 1 }));
    expect(result.errorCode).toBe('MAX_TURNS');
    expect(result.toolCalls[0]?.isError).toBe(false);
  });

  it('an abort stops the run with ABORTED', async () => {
    fake.reset();
    const controller = new AbortController();
    fake.script({
      kind: 'dynamic',
      respond: () => {
        controller.abort();
        return toolUse('mcp__cctrader__get_current_price', { symbol: 'BTC/USDT' });
      },
    });
    const result = await agent.run(request({ signal: controller.signal }));
    expect(result.isError).toBe(true);
    expect(result.errorCode).toBe('ABORTED');
  });
});

function runChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const script = fileURLToPath(new URL('./daily-child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
