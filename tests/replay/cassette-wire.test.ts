/**
 * The cassette recorder spoken to directly over HTTP (no `claude` binary): what it keys on, what it
 * reads of an answer, how it stores and replays bytes, what it does with errors and other paths,
 * and how a cassette survives a crash.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { answerUsage } from '../../src/replay/anthropic-wire.js';
import { normaliseRequest, requestKey, startCassetteRecorder, type CassetteRecorder } from '../../src/replay/cassette.js';
import { LIST_PRICES } from '../../src/usage/prices.js';
import { apiError, startFakeAnthropic, text, type FakeAnthropic } from '../fakes/anthropic.js';

const API_KEY = 'sk-ant-wire-secret-5b21c9';
const tmp = mkdtempSync(join(tmpdir(), 'cctrader-cassette-wire-'));
let n = 0;
const newFile = () => join(tmp, `c${++n}`, 'cassette.json');

/** A request as the binary sends it, with the parts that vary between identical runs as arguments. */
function body(
  v: { session?: string; device?: string; cwd?: string; os?: string; date?: string; budget?: string; cache?: boolean; prompt?: string; billing?: string } = {},
) {
  const cache = v.cache === false ? {} : { cache_control: { type: 'ephemeral' } };
  return {
    model: 'claude-sonnet-4-5',
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: `<system-reminder>\n# Environment\nYou have been invoked in the following environment: \n - Primary working directory: ${v.cwd ?? '/tmp/a/workspace'}\n - Is a git repository: false\n - Platform: linux\n - Shell: bash\n - OS Version: ${v.os ?? 'Linux 6.1'}\n</system-reminder>`,
          },
          { type: 'text', text: `<system-reminder>\nUSD budget: ${v.budget ?? '$0/$1; $1 remaining'}\n</system-reminder>` },
          { type: 'text', text: `<system-reminder>\nToday's date is ${v.date ?? '2026-12-03'}.\n</system-reminder>\n` },
          { type: 'text', text: v.prompt ?? 'What is the price of BTC/USDT?', ...cache },
        ],
      },
    ],
    system: [
      { type: 'text', text: v.billing ?? 'x-anthropic-billing-header: cc_version=2.1.330.050; cc_entrypoint=sdk-ts;' },
      { type: 'text', text: 'You are the cctrader analyst.', ...cache },
    ],
    tools: [{ name: 'mcp__cctrader__get_current_price', description: 'Price.', input_schema: { type: 'object' } }],
    metadata: { user_id: JSON.stringify({ device_id: v.device ?? 'd1', account_uuid: '', session_id: v.session ?? 's1' }) },
    max_tokens: 32000,
    stream: true,
  };
}

describe('requestKey', () => {
  it('ignores what varies between identical runs', () => {
    const base = requestKey(body());
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(requestKey(body({ session: 's2', device: 'd2' }))).toBe(base);
    expect(requestKey(body({ cwd: '/home/x/other/workspace', os: 'Linux 6.18.44' }))).toBe(base);
    expect(requestKey(body({ date: '2027-01-01' }))).toBe(base);
    expect(requestKey(body({ budget: '$0/$0.4213; $0.4213 remaining' }))).toBe(base);
    expect(requestKey(body({ cache: false }))).toBe(base);
    expect(requestKey(body({ billing: 'x-anthropic-billing-header: cc_version=2.1.330.050; cc_entrypoint=sdk-ts; cch=1a2b3; cc_prev_req=req_011abc;' }))).toBe(
      requestKey(body({ billing: 'x-anthropic-billing-header: cc_version=2.1.330.050; cc_entrypoint=sdk-ts; cch=ffff0; cc_prev_req=req_099xyz;' })),
    );
    // Object key order does not matter.
    const reordered = Object.fromEntries(Object.entries(body()).reverse());
    expect(requestKey(reordered)).toBe(base);
  });

  it('keeps what the model is told', () => {
    const base = requestKey(body());
    expect(requestKey(body({ prompt: 'What is the price of ETH/USDT?' }))).not.toBe(base);
    expect(requestKey({ ...body(), model: 'claude-opus-4-1' })).not.toBe(base);
    expect(requestKey({ ...body(), max_tokens: 100 })).not.toBe(base);
    expect(requestKey({ ...body(), temperature: 0 })).not.toBe(base);
    expect(requestKey({ ...body(), tools: [] })).not.toBe(base);
    expect(requestKey({ ...body(), stream: false })).not.toBe(base);
    expect(requestKey(body({ billing: 'x-anthropic-billing-header: cc_version=2.1.331.050; cc_entrypoint=sdk-ts;' }))).not.toBe(base);
  });

  it('shows the placeholders, and drops a date-change reminder with the block it emptied', () => {
    const b = body() as any;
    b.messages.push({ role: 'assistant', content: [{ type: 'text', text: 'ok' }] });
    b.messages.push({
      role: 'user',
      content: [
        {
          type: 'text',
          text: "<system-reminder>\nThe date has changed. Today's date is now 2026-12-04. No need to announce the new date.\n</system-reminder>",
        },
        {
          type: 'tool_result',
          tool_use_id: 't1',
          content: "result\n\n<system-reminder>\nThe date has changed. Today's date is now 2026-12-04.\n</system-reminder>",
        },
      ],
    });
    const n = normaliseRequest(b) as any;
    expect(n.metadata).toBeUndefined();
    const texts = JSON.stringify(n.messages);
    expect(texts).toContain('# Environment\\n<environment>\\n');
    expect(texts).toContain("Today's date is <date>.");
    expect(texts).toContain('USD budget: <budget>');
    expect(texts).not.toContain('cache_control');
    expect(n.messages[2].content).toEqual([{ type: 'tool_result', tool_use_id: 't1', content: 'result' }]);
  });
});

describe('answerUsage', () => {
  const sse = (events: unknown[]) => events.map((e: any) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
  const start = {
    type: 'message_start',
    message: {
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 5, cache_creation_input_tokens: 7 },
    },
  };

  it('takes the opening usage of a stream and the final counts of message_delta', () => {
    const u = answerUsage(sse([start, { type: 'message_delta', usage: { output_tokens: 42 } }, { type: 'message_stop' }]), 'text/event-stream; charset=utf-8');
    expect(u).toEqual({
      messageId: 'msg_1',
      model: 'claude-sonnet-4-5',
      complete: true,
      tokens: { inputTokens: 10, outputTokens: 42, cacheReadTokens: 5, cacheWriteTokens: 7 },
    });
  });

  it('calls a stream without message_stop, or with an error event, incomplete; a JSON message complete', () => {
    expect(answerUsage(sse([start]), 'text/event-stream')?.complete).toBe(false);
    expect(answerUsage(sse([start, { type: 'error', error: { type: 'overloaded_error' } }, { type: 'message_stop' }]), 'text/event-stream')?.complete).toBe(
      false,
    );
    expect(answerUsage('{"type":"message","id":"msg_2","model":"m","usage":{"input_tokens":3,"output_tokens":4}}', 'application/json')).toMatchObject({
      messageId: 'msg_2',
      complete: true,
      tokens: { inputTokens: 3, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
    expect(answerUsage('{"input_tokens":3}', 'application/json')).toBeNull();
  });
});

describe('the recorder over HTTP', () => {
  let fake: FakeAnthropic;
  const recorders: CassetteRecorder[] = [];
  const start = async (file: string, record: boolean, upstream = fake.url) => {
    const r = await startCassetteRecorder({ file, record, upstream, prices: LIST_PRICES, log: silentLogger });
    recorders.push(r);
    return r;
  };
  const post = (url: string, payload: unknown, path = '/v1/messages') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(payload),
    });

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: API_KEY });
  });
  afterAll(async () => {
    for (const r of recorders) await r.close();
    await fake.close();
  });

  it('stores a JSON answer and replays its exact bytes and headers', async () => {
    const file = newFile();
    fake.reset();
    fake.script(text('Forty-two.', { input_tokens: 1_000_000, output_tokens: 0 }));
    const rec = await start(file, true);
    const live = await post(rec.url, { ...body(), stream: false });
    const liveBytes = Buffer.from(await live.arrayBuffer());
    expect(live.status).toBe(200);
    expect(rec.stats()).toMatchObject({ recorded: 1, spentUsd: '3' });
    await rec.close();

    const again = await start(file, false, 'http://127.0.0.1:9');
    const replayed = await post(again.url, { ...body({ session: 'other', cwd: '/elsewhere' }), stream: false });
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('content-type')).toBe('application/json');
    expect(replayed.headers.get('request-id')).toBe(live.headers.get('request-id'));
    expect(Buffer.from(await replayed.arrayBuffer()).equals(liveBytes)).toBe(true);
    expect(again.stats()).toMatchObject({ hits: 1, wouldHaveCostUsd: '3', spentUsd: '0' });
  });

  it('passes an upstream error through unrecorded, and answers a miss with a 400 the binary does not retry', async () => {
    const file = newFile();
    fake.reset();
    fake.script(apiError(529));
    const rec = await start(file, true);
    const mark = rec.mark();
    const refused = await post(rec.url, body());
    expect(refused.status).toBe(529);
    expect(((await refused.json()) as any).error.type).toBe('overloaded_error');
    expect(rec.since(mark)).toMatchObject({ requests: 1, upstreamErrors: 1, recorded: 0, spentUsd: '0', paid: [] });
    await rec.close();
    expect(existsSync(file)).toBe(false);

    const replay = await start(file, false);
    fake.reset();
    const miss = await post(replay.url, body());
    expect(miss.status).toBe(400);
    expect(miss.headers.get('x-should-retry')).toBe('false');
    const envelope = (await miss.json()) as any;
    expect(envelope).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', details: { error_code: 'cassette_miss' } } });
    expect(envelope.error.message).toMatch(/^cassette miss: /);
    expect(replay.stats()).toMatchObject({ misses: 1, requests: 1 });
    expect(fake.requests).toEqual([]);
  });

  it('answers other paths harmlessly when replaying and forwards them when recording', async () => {
    const replay = await start(newFile(), false);
    fake.reset();
    expect((await fetch(`${replay.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
    const count = await post(replay.url, body(), '/v1/messages/count_tokens');
    expect(count.status).toBe(404);
    expect(count.headers.get('x-should-retry')).toBe('false');
    expect(fake.requests).toEqual([]);

    const rec = await start(newFile(), true);
    const counted = await post(rec.url, body(), '/v1/messages/count_tokens?beta=true');
    expect(counted.status).toBe(200);
    expect(((await counted.json()) as any).input_tokens).toBeGreaterThan(0);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/messages/count_tokens?beta=true']);
    expect(rec.stats()).toMatchObject({ other: 1, recorded: 0, entries: 0 });
  });

  it('answers 502 (retryable) when the upstream cannot be reached', async () => {
    const rec = await start(newFile(), true, 'http://127.0.0.1:9');
    const res = await post(rec.url, body());
    expect(res.status).toBe(502);
    expect(res.headers.get('x-should-retry')).toBe('true');
    expect(rec.stats()).toMatchObject({ upstreamErrors: 1, recorded: 0 });
  });

  it('keeps what was recorded through a crash: a new recorder takes in the journal, a torn last line skipped', async () => {
    const file = newFile();
    fake.reset();
    fake.script(text('Recorded before the crash.'));
    const crashed = await start(file, true);
    const live = await post(crashed.url, body());
    expect(live.status).toBe(200);
    await live.text();
    // No close(): the process "died". The entry is in the journal, not yet in the file.
    expect(existsSync(file)).toBe(false);
    appendFileSync(`${file}.journal`, '{"key":"abc","requ');

    const after = await start(file, false);
    expect(after.stats().entries).toBe(1);
    const res = await post(after.url, body({ session: 'after-the-crash' }));
    expect(res.headers.get('x-cassette')).toBe('hit');
    expect(await res.text()).toContain('Recorded bef');
    await after.close();
    expect(JSON.parse(readFileSync(file, 'utf8')).entries).toHaveLength(1);
    expect(existsSync(`${file}.journal`)).toBe(false);
  });

  it('refuses a file that is not a cassette, or one keyed another way', async () => {
    writeFileSync(join(tmp, 'junk.json'), '{"hello":1}');
    const error = await startCassetteRecorder({
      file: join(tmp, 'junk.json'),
      record: false,
      upstream: fake.url,
      prices: LIST_PRICES,
      log: silentLogger,
    }).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('INVALID_INPUT');
    writeFileSync(join(tmp, 'v9.json'), JSON.stringify({ format: 'cctrader-cassette', version: 1, keyVersion: 9, entries: [] }));
    const old = await startCassetteRecorder({ file: join(tmp, 'v9.json'), record: false, upstream: fake.url, prices: LIST_PRICES, log: silentLogger }).catch(
      (e: unknown) => e,
    );
    expect(isAppError(old) && old.code).toBe('CONFIG');
  });
});
