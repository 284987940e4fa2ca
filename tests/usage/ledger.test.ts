/** Recording an agent run in the token ledger: one row per model request, each message id once,
 * summing exactly to the SDK's figures, priced both ways; sessions and windows follow. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { recordAgentRunUsage, splitInteger, splitUsd } from '../../src/usage/agent-run.js';
import { Dec } from '../../src/shared/money.js';
import { LIST, memoryDb, message, MODEL, runResult } from './helpers.js';

const AT = Date.parse('2026-11-20T12:00:00Z');
const HAIKU = 'claude-haiku-4-5';
/** Our configured prices in these tests: double the list prices, so the estimate differs from the SDK's figure. */
const PRICES = { input: 6, output: 30, cacheRead: 0.6, cacheWrite: 7.5 };
const ours = (i: number, o: number, r: number, w: number) =>
  new Dec(i).times(6).plus(new Dec(o).times(30)).plus(new Dec(r).times(0.6)).plus(new Dec(w).times(7.5)).div(1e6);
const list = (i: number, o: number, r: number, w: number) => i * LIST.input + o * LIST.output + r * LIST.cacheRead + w * LIST.cacheWrite;
const sumDec = (xs: Array<string | null>) => xs.reduce((s, x) => s.plus(x ?? '0'), new Dec(0)).toFixed();

describe('splitting a total', () => {
  it('integers: in proportion, largest remainder first, always adding up', () => {
    expect(splitInteger(240, [1, 1, 1])).toEqual([80, 80, 80]);
    expect(splitInteger(241, [1, 1, 1])).toEqual([81, 80, 80]);
    expect(splitInteger(10, [0, 0])).toEqual([5, 5]);
    expect(splitInteger(100, [1, 3])).toEqual([25, 75]);
    const parts = splitInteger(1_000_003, [7, 11, 13, 1]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(1_000_003);
  });

  it('USD: rounded down to 10 places, the last part takes the remainder', () => {
    const parts = splitUsd(new Dec('0.0100000001'), [new Dec(1), new Dec(1), new Dec(1)]);
    expect(parts.map((p) => p.toFixed())).toEqual(['0.0033333333', '0.0033333333', '0.0033333335']);
    expect(parts.reduce((a, b) => a.plus(b), new Dec(0)).toFixed()).toBe('0.0100000001');
  });
});

describe('recording a run', () => {
  it('one row per message id (repeats counted once), exact totals, both prices, session and windows', async () => {
    const d = await memoryDb();
    // Turn 1 has a text block and a tool_use block: the SDK reports its message twice.
    const m1 = message('msg_turn1', 1000, 0, 2000);
    const messages = [m1, { ...m1 }, message('msg_turn2', 1200, 2000), message('msg_turn3', 1300, 2000)];
    const sdkCost = list(3500, 241, 4000, 2000);
    const result = runResult({
      messageUsage: messages,
      modelUsage: { [MODEL]: { inputTokens: 3500, outputTokens: 241, cacheReadInputTokens: 4000, cacheCreationInputTokens: 2000, costUsd: sdkCost } },
    });
    const meta = {
      attribution: { operation: 'scanner' as const, symbol: 'SOL/USDT:USDT', cycleId: 'scan-1' },
      model: MODEL,
      at: AT,
      prices: PRICES,
      signalId: 'scan-1:SOL',
      signalRowId: 7,
    };
    const spend = await recordAgentRunUsage(d.db, result, meta);

    const rows = await d.db.selectFrom('token_usage').selectAll().orderBy('id').execute();
    expect(rows.map((r) => r.message_id)).toEqual(['msg_turn1', 'msg_turn2', 'msg_turn3']);
    expect(rows.map((r) => r.tokens_input)).toEqual([1000, 1200, 1300]);
    expect(rows.map((r) => r.cache_read_tokens)).toEqual([0, 2000, 2000]);
    expect(rows.map((r) => r.cache_write_tokens)).toEqual([2000, 0, 0]);
    // Output is understated per message (1 each): the exact 241 is split over the requests.
    expect(rows.map((r) => r.tokens_output)).toEqual([81, 80, 80]);
    for (const r of rows) {
      expect(r).toMatchObject({
        provider: 'anthropic',
        model: MODEL,
        operation_type: 'scanner',
        symbol: 'SOL/USDT:USDT',
        cycle_id: 'scan-1',
        signal_id: 'scan-1:SOL',
        signal_row_id: 7,
        request_count: 1,
        session_id: result.sessionId,
        run_id: spend.runId,
      });
      expect(r.estimated_cost_usd).toBe(ours(r.tokens_input, r.tokens_output, r.cache_read_tokens, r.cache_write_tokens).toFixed());
      expect(r.cost_usd).toBe(r.sdk_cost_usd);
    }
    // The SDK's cost, split over the rows, adds up to its figure exactly; our estimate is separate.
    expect(sumDec(rows.map((r) => r.sdk_cost_usd))).toBe(new Dec(String(sdkCost)).toDecimalPlaces(10).toFixed());
    expect(sumDec(rows.map((r) => r.estimated_cost_usd))).toBe(ours(3500, 241, 4000, 2000).toFixed());
    expect(spend).toMatchObject({
      inputTokens: 3500,
      outputTokens: 241,
      cacheReadTokens: 4000,
      cacheWriteTokens: 2000,
      requests: 3,
      exact: true,
      estimatedCostUsd: ours(3500, 241, 4000, 2000).toFixed(),
    });
    expect(Number(spend.costUsd)).toBeCloseTo(sdkCost, 12);

    const session = await d.db.selectFrom('token_sessions').selectAll().executeTakeFirstOrThrow();
    expect(session).toMatchObject({
      session_id: result.sessionId,
      operation_type: 'scanner',
      request_count: 3,
      runs: 1,
      tokens_input: 3500,
      tokens_output: 241,
      cache_read_tokens: 4000,
      cache_write_tokens: 2000,
      cost_usd: spend.costUsd,
      started_at: AT,
    });
    const windows = await d.db.selectFrom('rate_limit_tracking').selectAll().orderBy('window_type').execute();
    // Window tokens: input + output + cache writes (cache reads do not count toward rate limits).
    expect(windows.map((w) => [w.window_type, w.window_start, w.request_count, w.token_count])).toEqual([
      ['daily', AT, 3, 3500 + 241 + 2000],
      ['hourly', AT, 3, 3500 + 241 + 2000],
    ]);

    // The same run recorded again (a retry of the bookkeeping) adds nothing and reports the same spend.
    const again = await recordAgentRunUsage(d.db, result, { ...meta, at: AT + 1000 });
    expect(again).toMatchObject({ runId: spend.runId, inputTokens: 3500, outputTokens: 241, costUsd: spend.costUsd, requests: 3 });
    expect(await d.db.selectFrom('token_usage').selectAll().execute()).toHaveLength(3);
    expect((await d.db.selectFrom('token_sessions').select('runs').executeTakeFirstOrThrow()).runs).toBe(1);
    expect(
      (await d.db.selectFrom('rate_limit_tracking').select('request_count').where('window_type', '=', 'hourly').executeTakeFirstOrThrow()).request_count,
    ).toBe(3);
    await d.close();
  });

  it('per-message input that does not add up is attributed in proportion (and logged); the rows still sum to the result', async () => {
    const d = await memoryDb();
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => void lines.push(l) });
    const result = runResult({
      messageUsage: [message('msg_a', 1000), message('msg_b', 3000)],
      modelUsage: { [MODEL]: { inputTokens: 4400, outputTokens: 100, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: list(4400, 100, 0, 0) } },
    });
    await recordAgentRunUsage(d.db, result, { attribution: { operation: 'analysis' }, model: MODEL, at: AT, log });
    const rows = await d.db.selectFrom('token_usage').selectAll().orderBy('id').execute();
    expect(rows.map((r) => r.tokens_input)).toEqual([1100, 3300]);
    expect(rows.map((r) => r.tokens_output)).toEqual([50, 50]);
    expect(lines.join('')).toContain('per-message usage does not add up to the run total');
    await d.close();
  });

  it('a run without a result: per-message figures at our prices, no SDK cost, not exact', async () => {
    const d = await memoryDb();
    const result = runResult({
      usageExact: false,
      modelUsage: {},
      runCostUsd: null,
      totalCostUsd: 0,
      isError: true,
      errorCode: 'ABORTED',
      messageUsage: [message('msg_x', 900, 100, 50)],
    });
    const spend = await recordAgentRunUsage(d.db, result, { attribution: { operation: 'analysis' }, model: MODEL, at: AT, prices: PRICES });
    const [row] = await d.db.selectFrom('token_usage').selectAll().execute();
    expect(row).toMatchObject({
      message_id: 'msg_x',
      tokens_input: 900,
      tokens_output: 1,
      sdk_cost_usd: null,
      estimated_cost_usd: ours(900, 1, 100, 50).toFixed(),
      cost_usd: ours(900, 1, 100, 50).toFixed(),
    });
    expect(spend.exact).toBe(false);
    await d.close();
  });

  it('a resumed session stores only its own share: per model, cumulative minus what is on record', async () => {
    const d = await memoryDb();
    const session = '99999999-2222-4333-8444-555555555555';
    const first = runResult({
      sessionId: session,
      messageUsage: [message('msg_s1', 1000), message('msg_h1', 200, 0, 0, HAIKU)],
      modelUsage: {
        [MODEL]: { inputTokens: 1000, outputTokens: 100, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.0045 },
        [HAIKU]: { inputTokens: 200, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.0003 },
      },
    });
    await recordAgentRunUsage(d.db, first, { attribution: { operation: 'scanner' }, model: MODEL, at: AT });
    // The SDK's modelUsage of the resumed run counts the first run too.
    const second = runResult({
      sessionId: session,
      resumed: true,
      messageUsage: [message('msg_s2', 2500), message('msg_s3', 500), message('msg_h2', 300, 0, 0, HAIKU)],
      modelUsage: {
        [MODEL]: { inputTokens: 4000, outputTokens: 400, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.018 },
        [HAIKU]: { inputTokens: 500, outputTokens: 50, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.00075 },
      },
      runCostUsd: null,
    });
    const spend = await recordAgentRunUsage(d.db, second, { attribution: { operation: 'scanner' }, model: MODEL, at: AT + 60_000 });
    const rows = await d.db.selectFrom('token_usage').selectAll().where('run_id', '=', spend.runId!).orderBy('id').execute();
    expect(rows.map((r) => [r.message_id, r.model, r.tokens_input, r.tokens_output, r.sdk_cost_usd])).toEqual([
      ['msg_s2', MODEL, 2500, 150, '0.00975'],
      ['msg_s3', MODEL, 500, 150, '0.00375'],
      ['msg_h2', HAIKU, 300, 30, '0.00045'],
    ]);
    expect(spend).toMatchObject({ inputTokens: 3300, outputTokens: 330, costUsd: '0.01395', requests: 3 });
    const s = await d.db.selectFrom('token_sessions').selectAll().executeTakeFirstOrThrow();
    expect(s).toMatchObject({
      runs: 2,
      request_count: 5,
      tokens_input: 4500,
      tokens_output: 450,
      cost_usd: '0.01875',
      started_at: AT,
      last_activity_at: AT + 60_000,
    });
    await d.close();
  });

  it('a model the SDK reports without a message of its own gets a row with no message id and no request', async () => {
    const d = await memoryDb();
    const result = runResult({
      messageUsage: [message('msg_main', 1000)],
      modelUsage: {
        [MODEL]: { inputTokens: 1000, outputTokens: 40, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: list(1000, 40, 0, 0) },
        [HAIKU]: { inputTokens: 300, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.0004 },
      },
    });
    const spend = await recordAgentRunUsage(d.db, result, { attribution: { operation: 'analysis' }, model: MODEL, at: AT });
    const rows = await d.db.selectFrom('token_usage').selectAll().orderBy('id').execute();
    expect(rows.map((r) => [r.model, r.message_id, r.request_count, r.tokens_input])).toEqual([
      [MODEL, 'msg_main', 1, 1000],
      [HAIKU, null, 0, 300],
    ]);
    expect(spend.requests).toBe(1);
    await d.close();
  });
});
