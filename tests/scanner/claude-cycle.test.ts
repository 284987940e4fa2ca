/**
 * The scan cycle with the Claude analyst: the real Claude Agent SDK and its `claude` binary against
 * the loopback fake of the Anthropic Messages API, the desk's MCP server attached in-process on the
 * simulated exchange. The fake answers by the mover named in the prompt, so concurrent runs are
 * told apart. Each run starts the binary (about 0.6 s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeAnalyst } from '../../src/agent/analyst.js';
import { createClaudeAgent } from '../../src/app.js';
import type { Deps } from '../../src/deps.js';
import { runCycle, signalIdFor, type CycleResult } from '../../src/scanner/cycle.js';
import {
  apiError,
  requestText,
  startFakeAnthropic,
  text,
  toolResults,
  type FakeAnthropic,
  type FakeTurn,
  type FakeUsage,
  type RecordedRequest,
  currentMoverTask,
  submitFromSnapshot,
} from '../fakes/anthropic.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { childEnv, runBin } from '../helpers/spawn.js';

/** Claude Sonnet 4.5 list prices, USD per token: input, output, cache read, cache write (5 min). */
const PRICE = { input: 3e-6, output: 15e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6 };
const cost = (...turns: FakeUsage[]) =>
  turns.reduce(
    (s, u) =>
      s +
      u.input_tokens * PRICE.input +
      u.output_tokens * PRICE.output +
      (u.cache_read_input_tokens ?? 0) * PRICE.cacheRead +
      (u.cache_creation_input_tokens ?? 0) * PRICE.cacheWrite,
    0,
  );

const GATHER: FakeUsage = { input_tokens: 1000, output_tokens: 50, cache_creation_input_tokens: 2000, cache_read_input_tokens: 0 };
const SUBMIT: FakeUsage = { input_tokens: 1200, output_tokens: 150, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 };
const WRAP_UP: FakeUsage = { input_tokens: 1300, output_tokens: 40, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 };
const DECLINE: FakeUsage = { input_tokens: 800, output_tokens: 30, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
/** $0.03 per run. */
const PRICEY: FakeUsage = { input_tokens: 10_000, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

type Plan = 'trade' | 'fail' | 'decline' | 'pricey' | 'unbound' | 'misbound';

let fake: FakeAnthropic;
let desk: TestDesk;
let dir: string;
let deps: Deps;
let analyst: ClaudeAnalyst;
const plans = new Map<string, Plan>();
let assign: Plan[] = [];

function respond(req: RecordedRequest): FakeTurn {
  const task = currentMoverTask(req);
  let plan = plans.get(task.symbol);
  if (!plan) {
    plan = assign.shift() ?? 'decline';
    plans.set(task.symbol, plan);
  }
  if (plan === 'fail') return apiError(500, 'upstream internals: shard 7 exploded');
  if (plan === 'pricey') return text(`${task.symbol}: nothing to do.`, PRICEY);
  if (plan === 'decline') return text(`${task.symbol}: no trade, the move looks exhausted (marker NO-${task.symbol}).`, DECLINE);
  if (task.results.length === 0) {
    return {
      kind: 'tool_use',
      text: 'Gathering evidence.',
      usage: GATHER,
      tools: [
        { name: 'mcp__cctrader__fetch_technical_snapshot', input: { symbol: task.symbol } },
        { name: 'mcp__cctrader__fetch_sentiment_data', input: { symbol: task.symbol, include_news: false } },
      ],
    };
  }
  if (task.results.length === 2) {
    const [snapshot, sentiment] = task.results;
    if (!snapshot || !sentiment || snapshot.isError || sentiment.isError) return text('The tools failed; no signal.');
    const snap = JSON.parse(snapshot.text.split('\n')[0]!);
    const submit = submitFromSnapshot(task, snap, {
      analysis: 'Scripted: the snapshot and positioning agree with the move.',
      technical_score: 40,
      sentiment_score: 10,
    });
    // A model that leaves the run's portfolio and signal_id out, or names others.
    if (plan === 'unbound') delete submit.input.signal_id;
    if (plan === 'misbound') Object.assign(submit.input, { portfolio: 'default', signal_id: 'model-made-this-up' });
    return { kind: 'tool_use', usage: SUBMIT, tools: [submit] };
  }
  return text('Submitted.', WRAP_UP);
}

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-test-key' });
  fake.setFallback({ kind: 'dynamic', respond });
  dir = mkdtempSync(join(tmpdir(), 'cctrader-scan-claude-'));
  // A frozen market at the real time of day, so a second process (real clock) is on the same UTC day.
  let now = Date.now();
  if (86_400_000 - (now % 86_400_000) < 120_000) now += 180_000;
  desk = await startTestDesk({
    sim: { now },
    env: {
      DB_PATH: join(dir, 'desk.db'),
      AGENT_DIR: join(dir, 'agent'),
      ANTHROPIC_API_KEY: 'sk-ant-test-key',
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_MAX_RETRIES: '0',
      ANALYST: 'claude',
      LOG_LEVEL: 'warn',
    },
  });
  deps = desk.app.deps;
  analyst = new ClaudeAnalyst(deps, createClaudeAgent(desk.app, { baseEnv: childEnv({}) }));
});

afterAll(async () => {
  await desk?.close();
  await fake?.close();
});

const bySymbol = (r: CycleResult, symbol: string) => r.movers.find((m) => m.symbol.startsWith(`${symbol}:`) || m.symbol === symbol)!;
const symbolOf = (plan: Plan) => [...plans].find(([, p]) => p === plan)![0];

describe('a cycle with the Claude analyst', () => {
  it('a signal lands in the database through the real tools; an agent error and a no-signal are recorded; the cycle goes on', async () => {
    fake.reset();
    assign = ['trade', 'fail', 'decline'];
    const report = await runCycle(deps, { analyst, maxMovers: 3, concurrency: 3 });

    expect(report.status).toBe('completed');
    expect(report.analyst).toBe('claude');
    expect(report.movers).toHaveLength(3);
    expect(report.analysed).toBe(3);
    expect(report).toMatchObject({ signals: 1, executed: 1, errors: 1, noSignal: 1, errorsByCode: { UPSTREAM_UNAVAILABLE: 1 } });

    // The traded mover: the model gathered evidence with the real tools, then submitted with the cycle's signal_id.
    const traded = bySymbol(report, symbolOf('trade'));
    expect(traded.outcome).toBe('executed');
    const row = await deps.db.selectFrom('movers_signals').selectAll().where('id', '=', traded.signal!.rowId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      signal_id: signalIdFor(report.cycleId, traded.symbol),
      status: 'executed',
      confidence: 72,
      timeframe: '1h',
      analysis: 'Scripted: the snapshot and positioning agree with the move.',
    });
    expect(row.position_id).not.toBeNull();
    const submitRequest = fake.messageRequests().find((r) => requestText(r).includes(`Market mover: ${symbolOf('trade')} `) && toolResults(r).length === 2)!;
    expect(toolResults(submitRequest).map((t) => t.isError)).toEqual([false, false]);
    expect(toolResults(submitRequest)[0]!.text).toContain('"alignment"');

    // Usage: exactly the scripted tokens, priced, on the mover and in token_usage.
    expect(traded.tokens).toEqual({ input: 3500, output: 240, cacheRead: 4000, cacheWrite: 2000 });
    expect(traded.costUsd).toBeCloseTo(cost(GATHER, SUBMIT, WRAP_UP), 9);
    // One token_usage row per model request (three turns), summing to the run's exact figures.
    const usage = await deps.db.selectFrom('token_usage').selectAll().where('session_id', '=', traded.sessionId).orderBy('id').execute();
    expect(usage).toHaveLength(3);
    for (const u of usage)
      expect(u).toMatchObject({
        provider: 'anthropic',
        operation_type: 'scanner',
        symbol: `${symbolOf('trade')}:USDT`,
        model: 'claude-sonnet-4-5',
        cycle_id: report.cycleId,
        signal_id: signalIdFor(report.cycleId, traded.symbol),
        signal_row_id: traded.signal!.rowId,
      });
    expect(usage.map((u) => u.tokens_input)).toEqual([1000, 1200, 1300]);
    const total = (k: 'tokens_output' | 'cache_read_tokens' | 'cache_write_tokens') => usage.reduce((s, u) => s + u[k], 0);
    expect([total('tokens_output'), total('cache_read_tokens'), total('cache_write_tokens')]).toEqual([240, 4000, 2000]);
    expect(usage.reduce((s, u) => s + Number(u.cost_usd), 0)).toBeCloseTo(cost(GATHER, SUBMIT, WRAP_UP), 9);

    // The failed run: our code, no upstream text, nothing spent.
    const failed = bySymbol(report, symbolOf('fail'));
    expect(failed).toMatchObject({ outcome: 'error', code: 'UPSTREAM_UNAVAILABLE', costUsd: 0 });
    expect(failed.reason).not.toContain('shard 7');

    // The declined mover: "no signal" and why, in the model's words.
    const declined = bySymbol(report, symbolOf('decline'));
    expect(declined.outcome).toBe('no_signal');
    expect(declined.reason).toContain(`no trade, the move looks exhausted (marker NO-${symbolOf('decline')})`);
    expect(declined.tokens.input).toBe(800);

    expect(report.costUsd).toBeCloseTo(cost(GATHER, SUBMIT, WRAP_UP, DECLINE), 9);
    expect(report.tokens.input).toBe(3500 + 800);
  });

  it('the cycle spend cap stops starting analyses once reached, and says so', async () => {
    desk.sim.clock.advance(1000); // a new cycle window
    fake.reset();
    plans.clear();
    assign = ['pricey', 'pricey', 'pricey'];
    const capped: Deps = { ...deps, config: { ...deps.config, CYCLE_BUDGET_USD: 0.05, MAX_BUDGET_USD: 0.15 } };
    const report = await runCycle(capped, {
      analyst: new ClaudeAnalyst(capped, createClaudeAgent(desk.app, { baseEnv: childEnv({}) })),
      maxMovers: 3,
      concurrency: 1,
    });
    // $0.05 cap: the first run (budget $0.05) spends $0.03; the second gets the $0.02 left and spends
    // $0.03 in its one turn; then there is no room and the third is not started.
    expect(fake.messageRequests()).toHaveLength(2);
    expect(report.analysed).toBe(2);
    expect(report.skipped).toBe(1);
    expect(report.movers[2]).toMatchObject({ outcome: 'skipped', code: 'BUDGET_EXCEEDED' });
    expect(report.stop?.code).toBe('BUDGET_EXCEEDED');
    expect(report.stop?.reason).toMatch(/cycle spend cap \$0\.05 reached \(\$0\.06 spent this cycle\)/);
    expect(report.pausedUntil).toBeNull();
    expect(report.costUsd).toBeCloseTo(0.06, 9);
  });

  it('the daily cap (every provider, since 00:00 UTC) starts nothing and says until when', async () => {
    desk.sim.clock.advance(1000);
    fake.reset();
    const now = deps.clock.now();
    await deps.db
      .insertInto('token_usage')
      .values({ provider: 'perplexity', operation_type: 'sentiment', model: 'sonar', created_at: now, cost_usd: '1' })
      .execute();
    const capped: Deps = { ...deps, config: { ...deps.config, DAILY_BUDGET_USD: 1 } };
    const report = await runCycle(capped, { analyst: new ClaudeAnalyst(capped, createClaudeAgent(desk.app, { baseEnv: childEnv({}) })), maxMovers: 3 });
    expect(fake.messageRequests()).toHaveLength(0);
    expect(report.analysed).toBe(0);
    expect(report.movers.every((m) => m.outcome === 'skipped' && m.code === 'BUDGET_EXCEEDED')).toBe(true);
    const midnight = new Date((Math.floor(now / 86_400_000) + 1) * 86_400_000).toISOString();
    expect(report.pausedUntil).toBe(midnight);
    expect(report.stop?.reason).toContain(`analyses resume at ${midnight}`);
    await deps.db.deleteFrom('token_usage').where('provider', '=', 'perplexity').execute();
  });
});

describe('no paid analysis that cannot trade', () => {
  it('with every position slot taken, the movers are skipped with MAX_POSITIONS and no model request is made', async () => {
    desk.sim.clock.advance(1000);
    fake.reset();
    const { createPortfolio } = await import('../../src/trading/portfolios.js');
    await createPortfolio(deps, 'one-slot', 10_000);
    const price = (await desk.call('get_current_price', { symbol: 'BTC/USDT' })).data.last as number;
    const open = await desk.call('submit_trading_signal', {
      symbol: 'BTC/USDT',
      direction: 'long',
      confidence: 80,
      entry_price: price,
      stop_loss: Math.round(price * 0.98),
      take_profit: Math.round(price * 1.05),
      analysis: 'fill the slot',
      portfolio: 'one-slot',
    });
    expect(open.data?.status, open.text).toBe('executed');
    const full: Deps = { ...deps, config: { ...deps.config, MAX_OPEN_POSITIONS: 1 } };
    const report = await runCycle(full, {
      analyst: new ClaudeAnalyst(full, createClaudeAgent(desk.app, { baseEnv: childEnv({}) })),
      portfolio: 'one-slot',
      maxMovers: 3,
    });
    expect(fake.messageRequests()).toHaveLength(0);
    expect(report.costUsd).toBe(0);
    expect(report.movers.map((m) => `${m.outcome} ${m.code}`)).toEqual(['skipped MAX_POSITIONS', 'skipped MAX_POSITIONS', 'skipped MAX_POSITIONS']);
  });
});

describe('the run decides where a signal lands', () => {
  it("scan-movers --portfolio p2 books the model's signals on p2 under the cycle's signal_id, whatever the model passes", async () => {
    desk.sim.clock.advance(1000);
    fake.reset();
    plans.clear();
    assign = ['unbound', 'misbound'];
    const { createPortfolio, findPortfolio } = await import('../../src/trading/portfolios.js');
    await createPortfolio(deps, 'p2', 5000);
    const child = await runBin(
      ['scan-movers', '--once', '--portfolio', 'p2', '--max-movers', '2', '--concurrency', '1', '--json'],
      {
        DB_PATH: desk.config.DB_PATH!,
        AGENT_DIR: join(dir, 'agent'),
        EXCHANGE_BASE_URL: desk.sim.url,
        EXCHANGE_RATE_LIMIT: 'false',
        ANTHROPIC_API_KEY: 'sk-ant-test-key',
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_MAX_RETRIES: '0',
        ANALYST: 'claude',
        LOG_LEVEL: 'warn',
      },
      { timeoutMs: 60_000 },
    );
    expect(child.code, child.stderr).toBe(0);
    const report = JSON.parse(child.stdout) as CycleResult;
    expect(report.portfolio).toBe('p2');
    const p2 = (await findPortfolio(deps.db, 'p2'))!;
    for (const plan of ['unbound', 'misbound'] as const) {
      const mover = bySymbol(report, symbolOf(plan));
      expect(mover.signal, `${plan}: ${mover.reason}`).not.toBeNull();
      const row = await deps.db.selectFrom('movers_signals').selectAll().where('id', '=', mover.signal!.rowId).executeTakeFirstOrThrow();
      expect(row.portfolio_id, plan).toBe(p2.id);
      expect(row.signal_id, plan).toBe(signalIdFor(report.cycleId, mover.symbol));
    }
    // The model was told its values were ignored.
    const answers = fake
      .messageRequests()
      .flatMap((r) => toolResults(r))
      .map((t) => t.text);
    expect(answers.some((t) => t.includes('portfolio \\"default\\" ignored') || t.includes('portfolio "default" ignored'))).toBe(true);
    expect(answers.some((t) => t.includes('model-made-this-up') && t.includes('ignored'))).toBe(true);
    expect(await deps.db.selectFrom('movers_signals').select('id').where('signal_id', '=', 'model-made-this-up').execute()).toEqual([]);
  });
});

describe('exit codes', () => {
  it('analyze exits 1 when the analyst failed (a refused key: AUTH), with --json printing the error', async () => {
    const child = await runBin(
      ['analyze', '--symbol', 'ETH/USDT', '--json'],
      {
        DB_PATH: desk.config.DB_PATH!,
        AGENT_DIR: join(dir, 'agent'),
        EXCHANGE_BASE_URL: desk.sim.url,
        EXCHANGE_RATE_LIMIT: 'false',
        ANTHROPIC_API_KEY: 'sk-ant-wrong-key',
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_MAX_RETRIES: '0',
        ANALYST: 'claude',
        LOG_LEVEL: 'warn',
      },
      { timeoutMs: 60_000 },
    );
    expect(child.code, child.stderr).toBe(1);
    const out = JSON.parse(child.stdout);
    expect(out).toMatchObject({ outcome: 'error', code: 'AUTH', error: { code: 'AUTH' } });
    expect(out.error.message).toMatch(/refused the credentials/);
  });
});

describe('daily mode', () => {
  it("the day's session is started by the first analysis and resumed by a second process (the CLI)", async () => {
    desk.sim.clock.advance(1000);
    fake.reset();
    plans.clear();
    assign = ['decline'];
    const first = await runCycle(deps, { analyst, daily: true, maxMovers: 1 });
    expect(first.daily).toBe(true);
    const mover = first.movers[0]!;
    expect(mover.outcome).toBe('no_signal');
    const day = new Date(deps.clock.now()).toISOString().slice(0, 10);
    const session = await deps.db.selectFrom('agent_sessions').selectAll().where('operation_type', '=', `scanner-${day}`).executeTakeFirstOrThrow();
    expect(mover.sessionId).toBe(session.session_id);

    const child = await runBin(
      ['scan-movers', '--once', '--daily', '--max-movers', '1', '--json'],
      {
        DB_PATH: desk.config.DB_PATH!,
        AGENT_DIR: join(dir, 'agent'),
        EXCHANGE_BASE_URL: desk.sim.url,
        EXCHANGE_RATE_LIMIT: 'false',
        ANTHROPIC_API_KEY: 'sk-ant-test-key',
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_MAX_RETRIES: '0',
        ANALYST: 'claude',
        LOG_LEVEL: 'warn',
      },
      { timeoutMs: 40_000 },
    );
    expect(child.code, child.stderr).toBe(0);
    const second = JSON.parse(child.stdout) as CycleResult;
    expect(second.daily).toBe(true);
    expect(second.movers[0]!.sessionId).toBe(session.session_id);
    // The resumed conversation carried the first analysis.
    const last = fake.messageRequests().at(-1)!;
    expect(requestText(last)).toContain(`marker NO-${mover.symbol.split(':')[0]}`);
    expect(JSON.stringify(last.body.system)).toContain(`scanner session of ${day}`);
    const meta = JSON.parse(
      (await deps.db.selectFrom('agent_sessions').select('metadata').where('operation_type', '=', `scanner-${day}`).executeTakeFirstOrThrow()).metadata!,
    );
    expect(meta).toMatchObject({ uses: 2, runs: 2 });
    // The second run's own tokens were recorded, not the session's cumulative count.
    const rows = await deps.db.selectFrom('token_usage').selectAll().where('session_id', '=', session.session_id).orderBy('id').execute();
    expect(rows.map((r) => r.tokens_input)).toEqual([800, 800]);
    expect(second.movers[0]!.tokens.input).toBe(800);
  });
});
