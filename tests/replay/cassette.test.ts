/**
 * The cassette recorder through the real path: the real Claude Agent SDK and its `claude` binary,
 * our ClaudeAgentBackend with the desk's MCP server in-process on the simulated exchange (frozen
 * at one instant, so its tool answers repeat), the recorder at the run's ANTHROPIC_BASE_URL and the
 * loopback fake of the Anthropic API as its upstream. Every run gets a fresh desk (fresh database,
 * fresh AGENT_DIR: another cwd and CLAUDE_CONFIG_DIR), as a replay re-run starts afresh. Each run
 * starts the binary (about 0.6 s).
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctraderToolCalls, type AgentRunRequest, type AgentRunResult } from '../../src/agent/types.js';
import { createClaudeAgent } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { requestKey, startCassetteRecorder, type CassetteDocument, type CassetteRecorder } from '../../src/replay/cassette.js';
import { LIST_PRICES } from '../../src/usage/prices.js';
import {
  startFakeAnthropic,
  submitFromSnapshot,
  toolResults,
  type FakeAnthropic,
  type FakeTurn,
  type FakeUsage,
  type RecordedRequest,
} from '../fakes/anthropic.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { childEnv } from '../helpers/spawn.js';

const NOW = Date.parse('2026-11-20T12:34:56Z');
const API_KEY = 'sk-ant-cassette-secret-7f3a9c2e51';
const MODEL = 'claude-sonnet-4-5';
const PROMPT = 'Analyse BTC/USDT now and submit a trading signal if the snapshot supports one.';

/** Scripted usage of the three turns: $0.01125 + $0.00645 + $0.0051 = $0.0228 at the list prices. */
const GATHER: FakeUsage = { input_tokens: 1000, output_tokens: 50, cache_creation_input_tokens: 2000, cache_read_input_tokens: 0 };
const SUBMIT: FakeUsage = { input_tokens: 1200, output_tokens: 150, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 };
const WRAP_UP: FakeUsage = { input_tokens: 1300, output_tokens: 40, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 };

/** The analyst the fake plays: snapshot, then a signal from it, then a closing sentence. */
function analyst(req: RecordedRequest): FakeTurn {
  const results = toolResults(req);
  if (results.length === 0) {
    return {
      kind: 'tool_use',
      text: 'Gathering evidence.',
      usage: GATHER,
      tools: [{ name: 'mcp__cctrader__fetch_technical_snapshot', input: { symbol: 'BTC/USDT' } }],
    };
  }
  if (results.length === 1) {
    const snap = JSON.parse(results[0]!.text.split('\n')[0]!);
    return { kind: 'tool_use', usage: SUBMIT, tools: [submitFromSnapshot({ symbol: 'BTC/USDT', direction: 'gainer', signalId: null }, snap)] };
  }
  return { kind: 'text', text: 'Submitted the BTC/USDT signal.', usage: WRAP_UP };
}

const logs: string[] = [];
const log = createLogger({ level: 'debug', write: (line) => void logs.push(line) });
const root = mkdtempSync(join(tmpdir(), 'cctrader-cassette-'));
const CASSETTE = join(root, 'replay.cassette.json');
const desks: TestDesk[] = [];
const recorders: CassetteRecorder[] = [];
let fake: FakeAnthropic;

async function recorder(options: { record: boolean; upstream: string }): Promise<CassetteRecorder> {
  const r = await startCassetteRecorder({ file: CASSETTE, prices: LIST_PRICES, log, ...options });
  recorders.push(r);
  return r;
}

/** One analysis on a fresh desk whose model requests go to `baseUrl`. */
async function analyse(baseUrl: string, options: { prompt?: string; apiKey?: string; now?: number } = {}): Promise<AgentRunResult> {
  const desk = await startTestDesk({
    sim: { now: options.now ?? NOW },
    env: {
      DB_PATH: ':memory:',
      AGENT_DIR: mkdtempSync(join(root, 'agent-')),
      ANTHROPIC_API_KEY: options.apiKey ?? API_KEY,
      ANTHROPIC_BASE_URL: baseUrl,
      CLAUDE_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
    },
  });
  desks.push(desk);
  const request: AgentRunRequest = {
    prompt: options.prompt ?? PROMPT,
    systemPrompt: 'You are the cctrader analyst (cassette test).',
    session: { mode: 'new' },
    maxTurns: 6,
    maxBudgetUsd: 1,
    model: MODEL,
    attribution: { operation: 'analysis', symbol: 'BTC/USDT:USDT' },
  };
  return createClaudeAgent(desk.app, { baseEnv: childEnv({}) }).run(request);
}

const calls = (r: AgentRunResult) => cctraderToolCalls(r).map((c) => [c.tool, c.input, c.isError, c.resultText]);
const readCassette = (): CassetteDocument => JSON.parse(readFileSync(CASSETTE, 'utf8'));

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: API_KEY });
  fake.setFallback({ kind: 'dynamic', respond: analyst });
});

afterAll(async () => {
  for (const r of recorders) await r.close();
  for (const d of desks) await d.close();
  await fake?.close();
});

let recordedRun: AgentRunResult;
let recordedBodies: unknown[];

describe('recording a run', () => {
  it('forwards every model request to the upstream, stores each answer, and prices what was spent', async () => {
    const rec = await recorder({ record: true, upstream: fake.url });
    const mark = rec.mark();
    recordedRun = await analyse(rec.url);

    expect(recordedRun.isError, recordedRun.errorMessage ?? '').toBe(false);
    expect(calls(recordedRun).map(([tool, , isError]) => [tool, isError])).toEqual([
      ['fetch_technical_snapshot', false],
      ['submit_trading_signal', false],
    ]);
    expect(recordedRun.text).toBe('Submitted the BTC/USDT signal.');
    // The upstream got the three requests, with the run's own credentials passed through.
    const sent = fake.messageRequests();
    expect(sent).toHaveLength(3);
    expect(sent.every((r) => r.headers['x-api-key'] === API_KEY && r.path === '/v1/messages?beta=true')).toBe(true);
    recordedBodies = sent.map((r) => r.body);

    const delta = rec.since(mark);
    expect(delta).toMatchObject({ requests: 3, recorded: 3, hits: 0, misses: 0, unstored: 0, upstreamErrors: 0, spentUsd: '0.0228', wouldHaveCostUsd: '0' });
    // One paid request per model turn, with what the lead records as token_usage rows.
    expect(delta.paid.map((p) => p.messageId)).toEqual(recordedRun.messageUsage.map((m) => m.messageId));
    expect(delta.paid.map((p) => [p.model, p.tokens, p.costUsd])).toEqual([
      [MODEL, { inputTokens: 1000, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 2000 }, '0.01125'],
      [MODEL, { inputTokens: 1200, outputTokens: 150, cacheReadTokens: 2000, cacheWriteTokens: 0 }, '0.00645'],
      [MODEL, { inputTokens: 1300, outputTokens: 40, cacheReadTokens: 2000, cacheWriteTokens: 0 }, '0.0051'],
    ]);
    // The SDK priced the same usage the same way.
    expect(recordedRun.totalCostUsd).toBeCloseTo(0.0228, 9);

    // Crash insurance: each entry is in the journal before close() writes the file.
    expect(readFileSync(`${CASSETTE}.journal`, 'utf8').trim().split('\n')).toHaveLength(3);
    await rec.close();
    expect(existsSync(`${CASSETTE}.journal`)).toBe(false);
    const doc = readCassette();
    expect(doc).toMatchObject({ format: 'cctrader-cassette', version: 1, keyVersion: 1 });
    expect(doc.entries.map((e) => e.key)).toEqual(recordedBodies.map(requestKey));
    expect(doc.entries.map((e) => [e.request.messages, e.response.status, e.costUsd])).toEqual([
      [1, 200, '0.01125'],
      [3, 200, '0.00645'],
      [5, 200, '0.0051'],
    ]);
    expect(doc.entries[0]!.request).toMatchObject({ model: MODEL, stream: true, tools: 6 });
    expect(doc.entries[0]!.request.last).toContain(PROMPT);
    expect(doc.entries[1]!.request.last).toMatch(/^\[tool_result\] \{"symbol":"BTC\/USDT:USDT"/);
    expect(doc.entries[0]!.response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(doc.entries[0]!.response.body).toContain('event: message_start');
  });
});

describe('re-running from the cassette', () => {
  it('answers every request from it with the upstream stopped: the same tool calls and text, $0 spent', async () => {
    await fake.close();
    const rec = await recorder({ record: false, upstream: fake.url });
    const mark = rec.mark();
    // No real key is needed to replay, but the binary refuses to start without one.
    const replayed = await analyse(rec.url, { apiKey: 'sk-ant-placeholder-for-replay' });

    expect(replayed.isError, replayed.errorMessage ?? '').toBe(false);
    expect(replayed.text).toBe(recordedRun.text);
    expect(calls(replayed)).toEqual(calls(recordedRun));
    const submitted = cctraderToolCalls(replayed).find((c) => c.tool === 'submit_trading_signal')!;
    expect(JSON.parse(submitted.resultText!.split('\n')[0]!)).toMatchObject({ status: 'executed' });
    expect(rec.since(mark)).toMatchObject({ requests: 3, hits: 3, misses: 0, recorded: 0, spentUsd: '0', wouldHaveCostUsd: '0.0228', paid: [] });
    expect(rec.stats()).toMatchObject({ hits: 3, entries: 3 });
    // The SDK sees the recorded usage, so its own figures are the recorded run's.
    expect(replayed.totalCostUsd).toBeCloseTo(recordedRun.totalCostUsd, 12);
    await rec.close();
  });

  it('fails the run on a request that is not in the cassette, sending nothing upstream', async () => {
    const upstream = await startFakeAnthropic();
    try {
      const rec = await recorder({ record: false, upstream: upstream.url });
      const result = await analyse(rec.url, { prompt: `${PROMPT} Be brief.` });

      expect(result.isError).toBe(true);
      // Our classifier's reading of the miss (HTTP 400 invalid_request_error); the lead maps a miss to CASSETTE_MISS.
      expect(result.errorCode).toBe('INVALID_INPUT');
      expect(result.toolCalls).toEqual([]);
      const stats = rec.stats();
      expect(stats).toMatchObject({ hits: 0, recorded: 0, spentUsd: '0', wouldHaveCostUsd: '0' });
      // The binary re-sends a refused request once without its `thinking.display` field: the one
      // changed request can be refused twice. Every refusal is that first request.
      expect(stats.misses).toBeGreaterThanOrEqual(1);
      expect(stats.requests).toBe(stats.misses);
      for (const miss of stats.missed) {
        expect(miss.request).toMatchObject({ model: MODEL, messages: 1 });
        expect(miss.request!.last).toContain('Be brief.');
      }
      expect(upstream.requests).toEqual([]);
      await rec.close();
      expect(readCassette().entries).toHaveLength(3);
    } finally {
      await upstream.close();
    }
  });

  it('with recording on, asks the upstream only for what is missing: a changed tool result', async () => {
    const upstream = await startFakeAnthropic({ apiKey: API_KEY });
    try {
      upstream.setFallback({ kind: 'dynamic', respond: analyst });
      const rec = await recorder({ record: true, upstream: upstream.url });
      // An hour later the snapshot differs: the first request is the recorded one, the next is new.
      const result = await analyse(rec.url, { now: NOW + 3_600_000 });

      expect(result.isError, result.errorMessage ?? '').toBe(false);
      expect(rec.stats()).toMatchObject({ requests: 3, hits: 1, recorded: 2, misses: 0, spentUsd: '0.01155', wouldHaveCostUsd: '0.01125' });
      expect(upstream.messageRequests()).toHaveLength(2);
      const recordedSnapshot = toolResults({ body: recordedBodies[1] } as RecordedRequest)[0]!.text;
      expect(toolResults(upstream.messageRequests()[0]!)[0]!.text).not.toBe(recordedSnapshot);
      await rec.close();
      expect(readCassette().entries).toHaveLength(5);
    } finally {
      await upstream.close();
    }
  });
});

describe('request keys', () => {
  it('are equal for two identical runs in different processes of the binary, config dirs and working dirs; they differ when the model is told something else', async () => {
    const upstream = await startFakeAnthropic({ apiKey: API_KEY });
    try {
      // Same task, same answers (the recorded tool_use ids are what a replay answers with).
      const ids = (recordedBodies[2] as { messages: Array<{ role: string; content: Array<{ type: string; id?: string }> }> }).messages
        .filter((m) => m.role === 'assistant')
        .flatMap((m) => m.content.filter((b) => b.type === 'tool_use').map((b) => b.id!));
      let turn = 0;
      upstream.setFallback({
        kind: 'dynamic',
        respond: (req) => {
          const t = analyst(req);
          return t.kind === 'tool_use' ? { ...t, tools: t.tools.map((tool) => ({ ...tool, id: ids[turn++]! })) } : t;
        },
      });
      const again = await analyse(upstream.url);
      expect(again.isError, again.errorMessage ?? '').toBe(false);
      const bodies = upstream.messageRequests().map((r) => r.body);
      expect(bodies).toHaveLength(3);

      // The raw requests differ (session and device ids, working directory)...
      const raw = (b: any) => JSON.stringify(b);
      expect(raw(bodies[0])).not.toBe(raw(recordedBodies[0]));
      expect((bodies[0] as any).metadata.user_id).not.toBe((recordedBodies[0] as any).metadata.user_id);
      const cwd = /Primary working directory: ([^\\]*)/.exec(raw(recordedBodies[0]))![1]!;
      expect(raw(bodies[0])).toContain('Primary working directory: ');
      expect(raw(bodies[0])).not.toContain(cwd);
      // ...the keys do not.
      expect(bodies.map(requestKey)).toEqual(recordedBodies.map(requestKey));

      // What the model is told changes the key: the prompt, the system prompt, a tool result, the tools, the model.
      const first = structuredClone(recordedBodies[0]) as any;
      const variants: Array<(b: any) => void> = [
        (b) => (b.messages[0].content.at(-1).text += ' '),
        (b) => (b.system.at(-1).text = 'You are another analyst.'),
        (b) => b.tools.pop(),
        (b) => (b.model = 'claude-opus-4-1'),
        (b) => (b.max_tokens = 1000),
      ];
      for (const change of variants) {
        const changed = structuredClone(first);
        change(changed);
        expect(requestKey(changed)).not.toBe(requestKey(first));
      }
      const withResult = structuredClone(recordedBodies[1]) as any;
      withResult.messages.at(-1).content[0].content = withResult.messages
        .at(-1)
        .content[0].content.replace('"symbol":"BTC/USDT:USDT"', '"symbol":"ETH/USDT:USDT"');
      expect(requestKey(withResult)).not.toBe(requestKey(recordedBodies[1]));
    } finally {
      await upstream.close();
    }
  });
});

describe('secrets', () => {
  it('the API key is in neither the cassette nor the log lines', () => {
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.some((l) => l.includes('"outcome":"recorded"'))).toBe(true);
    for (const text of [readFileSync(CASSETTE, 'utf8'), ...logs]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain('placeholder-for-replay');
      expect(text).not.toMatch(/x-api-key/i);
    }
  });
});
