/**
 * A Claude replay through the real path: the CLI, the real Claude Agent SDK and its `claude`
 * program, the cassette recorder, and the fake Anthropic API as the upstream while recording. A
 * re-run with the cassette and the fake stopped gives the same signals, fills and report for $0;
 * a changed request is a CASSETTE_MISS.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { comparable, type ReplayReport } from '../../src/replay/report.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';
import { currentMoverTask, startFakeAnthropic, submitFromSnapshot, text, type FakeAnthropic, type FakeTurn, type RecordedRequest } from '../fakes/anthropic.js';
import { runCliInProcess } from '../helpers/cli.js';
import { childEnv } from '../helpers/spawn.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const USAGE = { input_tokens: 2000, output_tokens: 100, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

let sim: SimExchange;
let fake: FakeAnthropic;
let dir: string;
beforeAll(async () => {
  sim = await startSimExchange({ seed: 42, now: NOW });
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-replay-key' });
  fake.setFallback({ kind: 'dynamic', respond });
  dir = mkdtempSync(join(tmpdir(), 'cctrader-claude-replay-'));
});
afterAll(async () => {
  await sim.close();
  await fake.close().catch(() => undefined);
});

/** A scripted analyst: the snapshot, then a signal from it, then a word. */
function respond(req: RecordedRequest): FakeTurn {
  const task = currentMoverTask(req);
  if (task.results.length === 0)
    return { kind: 'tool_use', usage: USAGE, tools: [{ name: 'mcp__cctrader__fetch_technical_snapshot', input: { symbol: task.symbol } }] };
  if (task.results.length === 1) {
    const snap = JSON.parse(task.results[0]!.text.split('\n')[0]!);
    return { kind: 'tool_use', usage: USAGE, tools: [submitFromSnapshot(task, snap, { analysis: `Scripted replay analysis of ${task.symbol}.` })] };
  }
  return text('Submitted.', USAGE);
}

const env = () =>
  childEnv({
    EXCHANGE_BASE_URL: sim.url,
    DB_PATH: join(dir, 'desk.db'),
    LOG_LEVEL: 'warn',
    ANTHROPIC_API_KEY: 'sk-ant-replay-key',
    ANTHROPIC_BASE_URL: fake.url,
    CLAUDE_MAX_RETRIES: '0',
  });
const args = (cassette: string, extra: string[] = []) => [
  'replay',
  '--from',
  '2026-11-18T00:00:00Z',
  '--to',
  '2026-11-19T00:00:00Z',
  '--every',
  '12h',
  '--analyst',
  'claude',
  '--symbols',
  'BTC,SOL,XRP,TRX',
  '--max-movers',
  '1',
  '--cassette',
  cassette,
  '--json',
  ...extra,
];

async function run(a: string[]): Promise<ReplayReport> {
  const r = await runCliInProcess(a, env());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReplayReport;
}

describe('a Claude replay', () => {
  it('records a cassette, then re-runs it with the API gone: same signals, fills and report, for $0; a changed request is a CASSETTE_MISS', async () => {
    const cassette = join(dir, 'month.cassette.json');
    const recorded = await run(args(cassette, ['--record', '--max-spend', '5']));
    const calls = fake.messageRequests().length;
    expect(calls).toBeGreaterThan(0);
    expect(existsSync(cassette)).toBe(true);
    expect(recorded.cycles.signals).toBeGreaterThan(0);
    expect(recorded.llm.recordedUsd).toBeGreaterThan(0);
    expect(recorded.llm.cassetteMisses).toBe(0);
    // Real spend: in the live ledger, as operation replay.
    const db = openDatabase(join(dir, 'desk.db'), { readonly: true });
    try {
      const rows = await db.db.selectFrom('token_usage').selectAll().where('operation_type', '=', 'replay').execute();
      expect(rows).toHaveLength(calls);
      expect(rows.reduce((a, r) => a + Number(r.cost_usd), 0)).toBeCloseTo(recorded.llm.recordedUsd, 6);
    } finally {
      await db.close();
    }

    await fake.close();
    const replayed = await run(args(cassette));
    expect(replayed.llm).toMatchObject({ recordedUsd: 0, rerunCostUsd: 0, cassetteMisses: 0 });
    expect(replayed.llm.wouldHaveCostUsd).toBeCloseTo(recorded.llm.recordedUsd, 6);
    const { llm: _a, ...same } = comparable(replayed);
    const { llm: _b, ...was } = comparable(recorded);
    expect(JSON.stringify(same)).toBe(JSON.stringify(was));

    // A different balance changes what submit_trading_signal answers: the next request is not in the cassette.
    const changed = await run(args(cassette, ['--balance', '5000']));
    expect(changed.llm.cassetteMisses).toBeGreaterThan(0);
    expect((changed.cycles.errorsByCode as Record<string, number>).CASSETTE_MISS).toBe(changed.llm.cassetteMisses);
    expect(changed.warnings.some((w) => w.includes('CASSETTE_MISS'))).toBe(true);
  }, 120_000);
});
