/**
 * Token accounting end to end: the real Claude Agent SDK and its `claude` binary against the
 * loopback fake of the Anthropic Messages API (known usage per turn), the desk's MCP tools on the
 * simulated exchange. Known usage in, known ledger rows and costs out; a resumed session stores
 * only its own share; a full request window pauses the runner until it resets; `analyze
 * --show-tokens --json` shows this analysis's rows. Each run starts the binary (about 0.6 s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeAnalyst } from '../../src/agent/analyst.js';
import { createClaudeAgent } from '../../src/app.js';
import type { Deps } from '../../src/deps.js';
import type { CycleEvent, CycleResult } from '../../src/scanner/cycle.js';
import { runScanner } from '../../src/scanner/runner.js';
import { Dec } from '../../src/shared/money.js';
import { countIntoWindows } from '../../src/usage/windows.js';
import { startFakeAnthropic, type FakeAnthropic, type FakeUsage } from '../fakes/anthropic.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { childEnv } from '../helpers/spawn.js';
import { cli, LIST, MODEL } from './helpers.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const KEY = 'sk-ant-test-key';
const iso = (ms: number) => new Date(ms).toISOString();
/** The SDK prices at the list prices; ours are configured at double, so the two figures differ. */
const list = (...us: FakeUsage[]) =>
  us.reduce(
    (s, u) =>
      s +
      u.input_tokens * LIST.input +
      u.output_tokens * LIST.output +
      (u.cache_read_input_tokens ?? 0) * LIST.cacheRead +
      (u.cache_creation_input_tokens ?? 0) * LIST.cacheWrite,
    0,
  );
const ours = (i: number, o: number, r: number, w: number) =>
  new Dec(i).times(6).plus(new Dec(o).times(30)).plus(new Dec(r).times(0.6)).plus(new Dec(w).times(7.5)).div(1e6).toFixed();
const sum = (xs: Array<string | null>) => xs.reduce((s, x) => s.plus(x ?? '0'), new Dec(0));

let fake: FakeAnthropic;
let desk: TestDesk;
let dir: string;
let deps: Deps;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: KEY });
  dir = mkdtempSync(join(tmpdir(), 'cctrader-usage-claude-'));
  desk = await startTestDesk({
    sim: { now: NOW },
    env: {
      DB_PATH: join(dir, 'desk.db'),
      AGENT_DIR: join(dir, 'agent'),
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_MAX_RETRIES: '0',
      ANALYST: 'claude',
      LOG_LEVEL: 'warn',
      CLAUDE_COST_PER_1M_INPUT: '6',
      CLAUDE_COST_PER_1M_OUTPUT: '30',
      CLAUDE_COST_PER_1M_CACHE_READ: '0.6',
      CLAUDE_COST_PER_1M_CACHE_WRITE: '7.5',
    },
  });
  deps = desk.app.deps;
});

afterAll(async () => {
  await desk?.close();
  await fake?.close();
});

const analyst = (d: Deps = deps) => new ClaudeAnalyst(d, createClaudeAgent(desk.app, { baseEnv: childEnv({}) }));

describe('a Claude run in the ledger', () => {
  it('one row per model request with its exact tokens, the SDK cost and our estimate; the session and windows follow', async () => {
    fake.reset();
    const T1: FakeUsage = { input_tokens: 1200, output_tokens: 80, cache_read_input_tokens: 300, cache_creation_input_tokens: 500 };
    const T2: FakeUsage = { input_tokens: 1500, output_tokens: 120, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 };
    // Turn 1 carries a text and a tool_use block: the SDK reports message msg_usage_1 twice.
    fake.script(
      {
        kind: 'tool_use',
        id: 'msg_usage_1',
        text: 'Checking the price.',
        tools: [{ name: 'mcp__cctrader__get_current_price', input: { symbol: 'BTC/USDT' } }],
        usage: T1,
      },
      { kind: 'text', id: 'msg_usage_2', text: 'BTC is quiet: no trade.', usage: T2 },
    );
    const r = await analyst().analyse({ kind: 'symbol', symbol: 'BTC/USDT:USDT', operation: 'analysis', signalId: 'usage-test:BTC', budgetUsd: 1 });
    expect(r.outcome, r.outcome === 'error' ? r.reason : '').toBe('no_signal');
    expect(fake.messageRequests()).toHaveLength(2);

    const rows = await deps.db.selectFrom('token_usage').selectAll().where('run_id', '=', r.spend.runId!).orderBy('id').execute();
    expect(rows.map((x) => [x.message_id, x.model, x.tokens_input, x.cache_read_tokens, x.cache_write_tokens, x.request_count])).toEqual([
      ['msg_usage_1', MODEL, 1200, 300, 500, 1],
      ['msg_usage_2', MODEL, 1500, 1000, 0, 1],
    ]);
    // Output per message is the stream's opening figure (1); the exact 200 is split over the two requests.
    expect(rows.map((x) => x.tokens_output)).toEqual([100, 100]);
    for (const x of rows) {
      expect(x).toMatchObject({
        provider: 'anthropic',
        operation_type: 'analysis',
        symbol: 'BTC/USDT:USDT',
        signal_id: 'usage-test:BTC',
        session_id: r.sessionId,
      });
      expect(x.estimated_cost_usd).toBe(ours(x.tokens_input, x.tokens_output, x.cache_read_tokens, x.cache_write_tokens));
      expect(x.cost_usd).toBe(x.sdk_cost_usd);
    }
    // The SDK's cost (list prices) and ours (configured at double), each summing exactly.
    expect(sum(rows.map((x) => x.sdk_cost_usd)).toNumber()).toBeCloseTo(list(T1, T2), 12);
    expect(sum(rows.map((x) => x.estimated_cost_usd)).toFixed()).toBe(ours(2700, 200, 1300, 500));
    expect(r.spend).toMatchObject({ inputTokens: 2700, outputTokens: 200, cacheReadTokens: 1300, cacheWriteTokens: 500, requests: 2, exact: true });
    expect(Number(r.spend.costUsd)).toBeCloseTo(list(T1, T2), 12);

    const session = await deps.db.selectFrom('token_sessions').selectAll().where('session_id', '=', r.sessionId!).executeTakeFirstOrThrow();
    expect(session).toMatchObject({
      operation_type: 'analysis',
      runs: 1,
      request_count: 2,
      tokens_input: 2700,
      tokens_output: 200,
      cache_read_tokens: 1300,
      cache_write_tokens: 500,
      cost_usd: r.spend.costUsd,
    });
    const hourly = await deps.db.selectFrom('rate_limit_tracking').selectAll().where('window_type', '=', 'hourly').execute();
    expect(hourly).toEqual([expect.objectContaining({ window_start: NOW, request_count: 2, token_count: 2700 + 200 + 500 })]);
  });

  it('a resumed daily session stores only its own share of the cumulative SDK figures', async () => {
    fake.reset();
    const first: FakeUsage = { input_tokens: 1000, output_tokens: 100 };
    const second: FakeUsage = { input_tokens: 2000, output_tokens: 200 };
    fake.script(
      { kind: 'text', id: 'msg_day_1', text: 'ETH: no trade (marker DAY-1).', usage: first },
      { kind: 'text', id: 'msg_day_2', text: 'SOL: no trade.', usage: second },
    );
    const a = await analyst().analyse({ kind: 'symbol', symbol: 'ETH/USDT:USDT', operation: 'monitor', daily: true, budgetUsd: 1 });
    const b = await analyst().analyse({ kind: 'symbol', symbol: 'SOL/USDT:USDT', operation: 'monitor', daily: true, budgetUsd: 1 });
    expect(b.sessionId).toBe(a.sessionId);
    expect(JSON.stringify(fake.messageRequests()[1]!.body)).toContain('marker DAY-1');

    const rows = await deps.db.selectFrom('token_usage').selectAll().where('session_id', '=', a.sessionId!).orderBy('id').execute();
    expect(rows.map((x) => [x.message_id, x.tokens_input, x.tokens_output])).toEqual([
      ['msg_day_1', 1000, 100],
      ['msg_day_2', 2000, 200],
    ]);
    expect(Number(rows[1]!.sdk_cost_usd)).toBeCloseTo(list(second), 12);
    expect(b.spend).toMatchObject({ inputTokens: 2000, outputTokens: 200, requests: 1 });
    const session = await deps.db.selectFrom('token_sessions').selectAll().where('session_id', '=', a.sessionId!).executeTakeFirstOrThrow();
    expect(session).toMatchObject({ runs: 2, request_count: 2, tokens_input: 3000, tokens_output: 300 });
    expect(Number(session.cost_usd)).toBeCloseTo(list(first, second), 12);
  });
});

describe('limits that act', () => {
  it('the runner warns past the warning threshold, skips at the critical one, waits until the window resets (and says until when), then goes on', async () => {
    fake.reset();
    fake.setFallback({ kind: 'text', text: 'No trade: the move looks exhausted.', usage: { input_tokens: 500, output_tokens: 20 } });
    desk.sim.clock.advance(2 * HOUR); // the earlier tests' hourly window has closed
    const seededAt = deps.clock.now() - 10 * MIN;
    await countIntoWindows(deps.db, seededAt, 7, 0); // 7 of 10: yellow
    const limited: Deps = { ...deps, config: { ...deps.config, CLAUDE_HOURLY_LIMIT: 10, TOKEN_WARNING_THRESHOLD: 50, TOKEN_CRITICAL_THRESHOLD: 80 } };
    const events: CycleEvent[] = [];
    const cycles: CycleResult[] = [];
    const slept: number[] = [];
    const stop = new AbortController();
    await runScanner(limited, {
      analyst: analyst(limited),
      intervalMs: MIN,
      once: false,
      maxMovers: 2,
      concurrency: 1,
      stop: stop.signal,
      onEvent: (e) => events.push(e),
      onCycle: (c) => {
        cycles.push(c);
        if (cycles.length === 2) stop.abort();
      },
      sleep: async (ms) => {
        slept.push(ms);
        desk.sim.clock.advance(ms);
      },
    });
    const resetAt = seededAt + HOUR;

    // Cycle 1: 7/10 warns; its first analysis makes it 8/10 (critical): the second mover is not started.
    const [one, two] = cycles;
    expect(one!.movers.map((m) => [m.outcome, m.code])).toEqual([
      ['no_signal', null],
      ['skipped', 'RATE_LIMITED'],
    ]);
    expect(one!.stop?.code).toBe('RATE_LIMITED');
    expect(one!.pausedUntil).toBe(iso(resetAt));
    const warnings = events.filter((e) => e.type === 'rate_warning');
    expect(warnings).toHaveLength(1);
    expect((warnings[0] as { message: string }).message).toContain('7 of 10 (CLAUDE_HOURLY_LIMIT) in the hourly window, 70%, past the warning threshold 50%');

    // Before cycle 2 the runner waits until the window resets, and says until when.
    const waits = events.filter((e): e is Extract<CycleEvent, { type: 'rate_wait' }> => e.type === 'rate_wait');
    expect(waits).toHaveLength(1);
    expect(waits[0]!.until).toBe(resetAt);
    expect(waits[0]!.message).toContain(
      `8 of 10 (CLAUDE_HOURLY_LIMIT) in the hourly window, 80%, past the critical threshold 80%: analyses wait until the window resets at ${iso(resetAt)}`,
    );
    expect(slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(resetAt - (seededAt + 10 * MIN));

    // Cycle 2 ran after the reset, in a new window.
    expect(two!.analysed).toBe(2);
    expect(Date.parse(two!.startedAt)).toBeGreaterThanOrEqual(resetAt);
    expect(fake.messageRequests()).toHaveLength(3);
    const windows = await deps.db
      .selectFrom('rate_limit_tracking')
      .selectAll()
      .where('window_type', '=', 'hourly')
      .where('window_start', '>=', seededAt)
      .orderBy('window_start')
      .execute();
    expect(windows.map((w) => w.request_count)).toEqual([8, 2]);
    expect(windows[1]!.window_start).toBeGreaterThanOrEqual(resetAt);
    fake.setFallback({ kind: 'text', text: 'No further scripted turns.' });
  });
});

describe('analyze --show-tokens', () => {
  it('--json shows this analysis’s own rows from the ledger, exact, with both prices and the windows', async () => {
    fake.reset();
    const U1: FakeUsage = { input_tokens: 900, output_tokens: 60, cache_read_input_tokens: 0, cache_creation_input_tokens: 1000 };
    const U2: FakeUsage = { input_tokens: 1100, output_tokens: 90, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 };
    fake.script(
      { kind: 'tool_use', id: 'msg_cli_1', tools: [{ name: 'mcp__cctrader__get_current_price', input: { symbol: 'BTC/USDT' } }], usage: U1 },
      { kind: 'text', id: 'msg_cli_2', text: 'Nothing to do on BTC.', usage: U2 },
    );
    const r = await cli(
      ['analyze', '--symbol', 'BTC/USDT', '--show-tokens', '--json'],
      childEnv({
        DB_PATH: desk.config.DB_PATH!,
        AGENT_DIR: join(dir, 'agent'),
        EXCHANGE_BASE_URL: desk.sim.url,
        EXCHANGE_RATE_LIMIT: 'false',
        ANTHROPIC_API_KEY: KEY,
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_MAX_RETRIES: '0',
        ANALYST: 'claude',
        LOG_LEVEL: 'warn',
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.outcome).toBe('no_signal');
    const run = out.tokens.run;
    expect(run.runId).toBe(out.usage.runId);
    expect(
      run.requests.map((q: { messageId: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number }) => [
        q.messageId,
        q.inputTokens,
        q.outputTokens,
        q.cacheReadTokens,
        q.cacheWriteTokens,
      ]),
    ).toEqual([
      ['msg_cli_1', 900, 75, 0, 1000],
      ['msg_cli_2', 1100, 75, 1000, 0],
    ]);
    expect(run.total).toMatchObject({ requests: 2, inputTokens: 2000, outputTokens: 150, cacheReadTokens: 1000, cacheWriteTokens: 1000 });
    expect(run.total.sdkCostUsd).toBeCloseTo(list(U1, U2), 6);
    expect(run.total.costUsd).toBeCloseTo(list(U1, U2), 6);
    // Default prices in this process (the list prices): the estimate equals the SDK's figure here.
    expect(run.total.estimatedCostUsd).toBeCloseTo(list(U1, U2), 6);
    expect(out.tokens.windows.map((w: { window: string }) => w.window)).toEqual(['hourly', 'daily']);
    expect(out.tokens.windows[0].requests).toBeGreaterThanOrEqual(2);
  });
});
