/** Claude request windows with a controlled clock: rolling over, colours against the thresholds,
 * the runner's wait, the spend guard's refusals and reservations, purge, tracking switched off. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { recordAgentRunUsage } from '../../src/usage/agent-run.js';
import { purgeTokenHistory } from '../../src/usage/purge.js';
import { recordLlmUsage } from '../../src/usage/record.js';
import { SpendGuard } from '../../src/usage/spend-caps.js';
import { assessWindows, countIntoWindows, readWindows, waitForRequestWindows, windowSettings } from '../../src/usage/windows.js';
import { memoryDb, message, MODEL, runResult } from './helpers.js';

const T0 = Date.parse('2026-11-20T12:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const settings = windowSettings({ CLAUDE_HOURLY_LIMIT: 10, CLAUDE_DAILY_LIMIT: 100, TOKEN_WARNING_THRESHOLD: 50, TOKEN_CRITICAL_THRESHOLD: 80 });
const config = (env: Record<string, string> = {}) =>
  loadConfig({
    env: { CLAUDE_HOURLY_LIMIT: '10', CLAUDE_DAILY_LIMIT: '100', MAX_BUDGET_USD: '1', CYCLE_BUDGET_USD: '5', DAILY_BUDGET_USD: '20', MAX_TURNS: '2', ...env },
  });
const silent = createLogger({ level: 'silent', write: () => undefined });

describe('request windows', () => {
  it('open with the first request, count for an hour (a day), then roll over', async () => {
    const d = await memoryDb();
    await countIntoWindows(d.db, T0 + 5 * MIN, 3, 300);
    await countIntoWindows(d.db, T0 + 64 * MIN, 2, 200); // 59 min after the window opened
    let [hourly, daily] = await readWindows(d.db, T0 + 64 * MIN, settings);
    expect(hourly).toMatchObject({
      window: 'hourly',
      requests: 5,
      tokens: 500,
      openedAt: T0 + 5 * MIN,
      resetsAt: T0 + 65 * MIN,
      pct: 50,
      level: 'warning',
    });
    expect(daily).toMatchObject({ window: 'daily', requests: 5, openedAt: T0 + 5 * MIN, resetsAt: T0 + 5 * MIN + 24 * HOUR });

    // At the reset instant the hourly window is closed: nothing counted, no reset time.
    [hourly] = await readWindows(d.db, T0 + 65 * MIN, settings);
    expect(hourly).toMatchObject({ requests: 0, pct: 0, level: 'ok', openedAt: null, resetsAt: null });

    // The next request opens a new hourly window; the daily one keeps counting.
    await countIntoWindows(d.db, T0 + 70 * MIN, 1, 10);
    [hourly, daily] = await readWindows(d.db, T0 + 71 * MIN, settings);
    expect(hourly).toMatchObject({ requests: 1, openedAt: T0 + 70 * MIN, resetsAt: T0 + 130 * MIN });
    expect(daily).toMatchObject({ requests: 6, tokens: 510 });
    const rows = await d.db.selectFrom('rate_limit_tracking').selectAll().orderBy('window_type').orderBy('window_start').execute();
    expect(rows.map((r) => [r.window_type, r.window_start, r.request_count])).toEqual([
      ['daily', T0 + 5 * MIN, 6],
      ['hourly', T0 + 5 * MIN, 5],
      ['hourly', T0 + 70 * MIN, 1],
    ]);
    await d.close();
  });

  it('reach the warning level at the warning threshold, critical at the critical one, and the limit', async () => {
    const d = await memoryDb();
    const seen: Array<[number, string]> = [];
    let total = 0;
    for (const add of [4, 1, 2, 1, 2]) {
      total += add;
      await countIntoWindows(d.db, T0, add, 0);
      const [h] = await readWindows(d.db, T0 + MIN, settings);
      seen.push([total, h!.level]);
    }
    expect(seen).toEqual([
      [4, 'ok'],
      [5, 'warning'],
      [7, 'warning'],
      [8, 'critical'],
      [10, 'limit'],
    ]);
    await d.close();
  });

  it('count requests held by analyses in flight when deciding, and say why and until when', async () => {
    const d = await memoryDb();
    await countIntoWindows(d.db, T0, 4, 0);
    const states = await readWindows(d.db, T0 + MIN, settings);
    expect(assessWindows(states, settings, 0).level).toBe('ok');
    const warn = assessWindows(states, settings, 2);
    expect(warn).toMatchObject({ level: 'warning', window: 'hourly', until: T0 + HOUR });
    expect(warn.message).toContain('6 of 10 (CLAUDE_HOURLY_LIMIT) in the hourly window (4 recorded + 2 held by analyses in flight), 60%');
    const critical = assessWindows(states, settings, 4);
    expect(critical).toMatchObject({ level: 'critical', until: T0 + HOUR });
    expect(critical.message).toContain(`past the critical threshold 80%: analyses wait until the window resets at ${iso(T0 + HOUR)}`);
    expect(assessWindows(states, settings, 6).message).toContain('the limit is reached; no analysis starts');
    await d.close();
  });
});

describe('the runner waits for a critical window', () => {
  it('sleeps until the window resets, says until when, then lets the analysis start', async () => {
    const d = await memoryDb();
    await countIntoWindows(d.db, T0, 8, 0);
    let now = T0 + 20 * MIN;
    const slept: number[] = [];
    const told: Array<{ until: number; message: string }> = [];
    const go = await waitForRequestWindows(
      { db: d.db, clock: { now: () => now }, log: silent, config: config() },
      {
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
        onWait: ({ until, message }) => told.push({ until, message }),
      },
    );
    expect(go).toBe(true);
    expect(slept).toEqual([40 * MIN]);
    expect(told).toHaveLength(1);
    expect(told[0]!.until).toBe(T0 + HOUR);
    expect(told[0]!.message).toContain(
      `8 of 10 (CLAUDE_HOURLY_LIMIT) in the hourly window, 80%, past the critical threshold 80%: analyses wait until the window resets at ${iso(T0 + HOUR)}`,
    );
    expect(now).toBe(T0 + HOUR);
    await d.close();
  });

  it('gives up when stopped during the wait, and does not wait with tracking off', async () => {
    const d = await memoryDb();
    await countIntoWindows(d.db, T0, 10, 0);
    const stop = new AbortController();
    const go = await waitForRequestWindows(
      { db: d.db, clock: { now: () => T0 + MIN }, log: silent, config: config() },
      { sleep: async () => stop.abort(), stop: stop.signal },
    );
    expect(go).toBe(false);
    const off = await waitForRequestWindows(
      { db: d.db, clock: { now: () => T0 + MIN }, log: silent, config: config({ TOKEN_TRACKING_ENABLED: 'false' }) },
      { sleep: async () => expect.unreachable('no wait with tracking off') },
    );
    expect(off).toBe(true);
    await d.close();
  });
});

describe('the spend guard checks the windows before each analysis', () => {
  it('holds MAX_TURNS requests per analysis in flight, warns past the warning threshold, refuses past the critical one', async () => {
    const d = await memoryDb();
    await countIntoWindows(d.db, T0, 2, 0);
    const guard = new SpendGuard({ db: d.db, clock: { now: () => T0 + MIN }, config: config() }, T0);
    const a = await guard.reserve(); // 2 recorded
    expect(a).toMatchObject({ ok: true, warning: null });
    const b = await guard.reserve(); // 2 + 2 held = 4: still green
    expect(b).toMatchObject({ ok: true, warning: null });
    const c = await guard.reserve(); // 2 + 4 = 6: yellow
    expect(c.ok).toBe(true);
    expect(c.ok && c.warning).toContain('past the warning threshold 50%');
    const refused = await guard.reserve(); // 2 + 6 = 8: red
    expect(refused).toMatchObject({ ok: false, scope: 'requests', window: 'hourly', until: T0 + HOUR });
    expect((refused as { message: string }).message).toContain('past the critical threshold 80%');
    // A finished analysis gives back what it held (its own requests are recorded by then).
    if (a.ok) a.release({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: '0', exact: true });
    expect((await guard.reserve()).ok).toBe(true);
    await d.close();
  });

  it('with TOKEN_TRACKING_ENABLED=false nothing is recorded and analyses that spend are refused (fail closed)', async () => {
    const d = await memoryDb();
    const off = config({ TOKEN_TRACKING_ENABLED: 'false' });
    const r = await new SpendGuard({ db: d.db, clock: { now: () => T0 }, config: off }, T0).reserve();
    expect(r).toMatchObject({ ok: false, scope: 'unknown', until: null });
    expect((r as { message: string }).message).toContain('TOKEN_TRACKING_ENABLED=false');
    const spend = await recordAgentRunUsage(
      d.db,
      runResult({
        messageUsage: [message('msg_off', 100)],
        modelUsage: { [MODEL]: { inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.00045 } },
      }),
      { attribution: { operation: 'analysis' }, model: MODEL, at: T0, record: false },
    );
    expect(spend).toMatchObject({ inputTokens: 100, outputTokens: 10, costUsd: '0.00045', requests: 1, runId: null });
    for (const table of ['token_usage', 'token_sessions', 'rate_limit_tracking'] as const) {
      expect(await d.db.selectFrom(table).selectAll().execute()).toEqual([]);
    }
    await d.close();
  });
});

describe('history retention', () => {
  it('purges rows older than TOKEN_HISTORY_DAYS from the three tables and keeps the rest', async () => {
    const d = await memoryDb();
    const DAY = 86_400_000;
    const now = T0;
    for (const [id, at] of [
      ['msg_old', now - 91 * DAY],
      ['msg_new', now - 89 * DAY],
    ] as const) {
      await recordAgentRunUsage(
        d.db,
        runResult({
          sessionId: `${id === 'msg_old' ? 'aaaaaaaa' : 'bbbbbbbb'}-2222-4333-8444-555555555555`,
          messageUsage: [message(id, 100)],
          modelUsage: { [MODEL]: { inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.00045 } },
        }),
        { attribution: { operation: 'scanner' }, model: MODEL, at },
      );
    }
    await recordLlmUsage(d.db, {
      provider: 'perplexity',
      operationType: 'sentiment',
      model: 'sonar',
      inputTokens: 1,
      outputTokens: 1,
      costUsd: '0.005',
      at: now - 95 * DAY,
    });
    const result = await purgeTokenHistory(d.db, now, 90);
    expect(result).toMatchObject({ before: now - 90 * DAY, usage: 2, sessions: 1, windows: 2 });
    expect((await d.db.selectFrom('token_usage').select('message_id').execute()).map((r) => r.message_id)).toEqual(['msg_new']);
    expect(await d.db.selectFrom('token_sessions').select('session_id').execute()).toEqual([{ session_id: 'bbbbbbbb-2222-4333-8444-555555555555' }]);
    expect((await d.db.selectFrom('rate_limit_tracking').select('window_start').execute()).map((r) => r.window_start)).toEqual([
      now - 89 * DAY,
      now - 89 * DAY,
    ]);
    await d.close();
  });
});
