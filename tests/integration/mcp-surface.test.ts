/**
 * The whole MCP surface as a host uses it, over stdio and over Streamable HTTP, against the real
 * `cctrader serve` on the simulator: resources (list, templates, read, subscribe and the updates
 * after a fill, a close and a scan cycle run by another process), completions, progress and
 * cancellation, logging, and the tool selection (read-only mode, toolsets).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  LoggingMessageNotificationSchema,
  ProgressNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';
import { serveAndConnect, type ServedClient, type TransportKind } from '../helpers/mcp-connect.js';
import { runBin } from '../helpers/spawn.js';

let sim: SimExchange;
beforeAll(async () => {
  sim = await startSimExchange({ seed: 42 });
});
afterAll(async () => {
  await sim.close();
});

function deskEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'cctrader-surface-'));
  return { EXCHANGE_BASE_URL: sim.url, DB_PATH: join(dir, 'desk.db'), EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn', ...extra };
}

type Structured = Record<string, any>;

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; data: Structured; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent?: Structured; content: Array<{ text?: string }> };
  return { isError: Boolean(r.isError), data: r.structuredContent ?? {}, text: r.content.map((c) => c.text ?? '').join('') };
}

async function readJson(client: Client, uri: string): Promise<Structured> {
  const { contents } = await client.readResource({ uri });
  expect(contents[0]!.mimeType).toBe('application/json');
  return JSON.parse(String((contents[0] as { text: string }).text)) as Structured;
}

/** Waits until `predicate` holds, polling every 50 ms. */
async function until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A long at the market with a 2% stop and a 4% target. */
async function buy(client: Client, symbol: string): Promise<Structured> {
  const { data: quote } = await call(client, 'get_current_price', { symbol });
  const price = quote.last as number;
  const r = await call(client, 'submit_trading_signal', {
    symbol,
    direction: 'long',
    confidence: 70,
    entry_price: price,
    stop_loss: +(price * 0.98).toPrecision(6),
    take_profit: +(price * 1.04).toPrecision(6),
    analysis: 'test entry',
  });
  expect(r.isError, r.text).toBe(false);
  expect(r.data.status).toBe('executed');
  return r.data;
}

describe.each<TransportKind>(['stdio', 'http'])('the MCP surface over %s', (kind) => {
  let env: Record<string, string>;
  let served: ServedClient;
  let client: Client;
  const updated: string[] = [];
  const logs: Array<{ level: string; logger?: string; data: Structured }> = [];
  const progressBy = new Map<string | number, Progress[]>();
  beforeAll(async () => {
    env = deskEnv({ EXCHANGE_TIMEOUT_MS: '1000', EXCHANGE_RETRIES: '3' });
    served = await serveAndConnect(kind, env);
    client = served.client;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params as never));
    client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      const { progressToken, ...progress } = n.params;
      progressBy.get(progressToken)?.push(progress);
    });
  }, 30_000);
  afterAll(async () => {
    await served.close();
  });

  it('declares resources with subscriptions, completions and logging', () => {
    const caps = client.getServerCapabilities()!;
    expect(caps.resources?.subscribe).toBe(true);
    expect(caps.completions).toBeDefined();
    expect(caps.logging).toBeDefined();
  });

  it('lists the resources and templates, and a portfolio reads as get_portfolio_status answers it', async () => {
    const { data: status } = await call(client, 'get_portfolio_status');
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining(['cctrader://portfolio/default', 'cctrader://signals/recent', 'cctrader://cycles/latest', 'cctrader://scorecard']),
    );
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['cctrader://portfolio/{name}', 'cctrader://replays/{id}']);

    const portfolio = await readJson(client, 'cctrader://portfolio/default');
    expect(portfolio.portfolio).toBe('default');
    expect(portfolio.account.cash).toBe(status.account.cash);
    expect(portfolio.account.startingBalance).toBe(status.account.startingBalance);
    expect((await readJson(client, 'cctrader://scorecard')).totals.signals).toBe(0);
    await expect(client.readResource({ uri: 'cctrader://portfolio/nope' })).rejects.toMatchObject({
      code: -32002,
      message: expect.stringContaining('No portfolio named nope'),
    });
    await expect(client.readResource({ uri: 'cctrader://cycles/latest' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: 'cctrader://nothing' })).rejects.toMatchObject({ code: -32002 });
  });

  it('tells a subscriber when a fill and a close change the portfolio and the signals', async () => {
    await client.subscribeResource({ uri: 'cctrader://portfolio/default' });
    await client.subscribeResource({ uri: 'cctrader://signals/recent' });
    updated.length = 0;
    await buy(client, 'ETH/USDT');
    await until(() => updated.includes('cctrader://portfolio/default') && updated.includes('cctrader://signals/recent'), 'updates after the fill');
    const portfolio = await readJson(client, 'cctrader://portfolio/default');
    expect(portfolio.positions.items.map((p: Structured) => p.symbol)).toContain('ETH/USDT:USDT');
    expect((await readJson(client, 'cctrader://signals/recent')).items[0].status).toBe('executed');

    updated.length = 0;
    expect((await call(client, 'close_position', { symbol: 'ETH/USDT' })).isError).toBe(false);
    await until(() => updated.includes('cctrader://portfolio/default'), 'the update after the close');
    expect((await readJson(client, 'cctrader://portfolio/default')).positions.items).toHaveLength(0);

    // Reading changes nothing, so it notifies nothing; unsubscribed URIs are not followed.
    await client.unsubscribeResource({ uri: 'cctrader://signals/recent' });
    updated.length = 0;
    await call(client, 'get_current_price', { symbol: 'BTC/USDT' });
    await new Promise((r) => setTimeout(r, 300));
    expect(updated).toEqual([]);
  });

  it('tells a subscriber when a scan cycle run by another process finishes', async () => {
    await client.subscribeResource({ uri: 'cctrader://cycles/latest' });
    updated.length = 0;
    const run = await runBin(['scan-movers', '--once', '--analyst', 'rules', '--max-movers', '2', '--json'], env, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const cycleId = JSON.parse(run.stdout).cycleId as string;
    await until(() => updated.includes('cctrader://cycles/latest'), 'the update after the cycle');
    const latest = await readJson(client, 'cctrader://cycles/latest');
    expect(latest.cycleId).toBe(cycleId);
    expect(latest.status).toBe('completed');
  }, 60_000);

  it('lists a replay run by the CLI, reads it as get_replay_report answers it, and completes its id', async () => {
    const day = 86_400_000;
    const to = new Date(Math.floor(Date.now() / day) * day).toISOString();
    const from = new Date(Date.parse(to) - 2 * day).toISOString();
    const run = await runBin(['replay', '--from', from, '--to', to, '--every', '4h', '--symbols', 'BTC,ETH', '--json'], env, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const id = JSON.parse(run.stdout).id as string;
    const uri = `cctrader://replays/${id}`;
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain(uri);
    const report = await readJson(client, uri);
    const { data: tool } = await call(client, 'get_replay_report', { id });
    expect(report).toEqual(tool);
    expect(report.window.stepsRun).toBe(report.window.steps);
    const ids = (await client.complete({ ref: { type: 'ref/resource', uri: 'cctrader://replays/{id}' }, argument: { name: 'id', value: id.slice(0, 4) } }))
      .completion;
    expect(ids.values).toContain(id);
    await expect(client.readResource({ uri: 'cctrader://replays/no-such-replay' })).rejects.toMatchObject({ code: -32002 });
  }, 60_000);

  it('completes symbols most traded first, directions, timeframes and portfolio names', async () => {
    const complete = async (ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string }, name: string, value: string) =>
      (await client.complete({ ref, argument: { name, value } })).completion;
    const mover = { type: 'ref/prompt' as const, name: 'mover_analysis' };
    expect((await complete(mover, 'symbol', 'bt')).values).toEqual(['BTC/USDT:USDT']);
    expect((await complete(mover, 'symbol', 'ethusdt')).values).toEqual(['ETH/USDT:USDT']);
    const all = await complete(mover, 'symbol', '');
    expect(all.values).toHaveLength(20);
    expect(all.hasMore).toBe(true);
    // Most traded first: the exchange's own 24h turnover ranking.
    const tickers = (await (await fetch(`${sim.url}/v5/market/tickers?category=linear`)).json()) as {
      result: { list: Array<{ symbol: string; turnover24h: string }> };
    };
    const ranked = tickers.result.list.sort((a, b) => Number(b.turnover24h) - Number(a.turnover24h)).map((t) => t.symbol.replace(/USDT$/, '/USDT:USDT'));
    expect(all.values).toEqual(ranked.slice(0, 20));
    expect((await complete(mover, 'direction', 'L')).values).toEqual(['loser']);
    expect((await complete(mover, 'timeframes', '15m,1')).values).toEqual(['15m,1m', '15m,1h', '15m,1d']);
    await call(client, 'get_portfolio_status');
    expect((await complete({ type: 'ref/resource', uri: 'cctrader://portfolio/{name}' }, 'name', 'D')).values).toEqual(['default']);
    await expect(complete({ type: 'ref/prompt', name: 'no_such_prompt' }, 'symbol', 'b')).rejects.toMatchObject({ code: -32602 });
  });

  /**
   * A tools/call carrying `progressToken`, and the progress notifications the server sends for it,
   * taken off the wire (the SDK client's own `onprogress` drops one that arrives in the same read as
   * the answer, which the server cannot prevent on a pipe).
   */
  function callWithProgress(name: string, args: Record<string, unknown>, signal?: AbortSignal): { seen: Progress[]; done: Promise<unknown> } {
    const token = `${name}-${Math.random().toString(36).slice(2)}`;
    const seen: Progress[] = [];
    progressBy.set(token, seen);
    const done = client.request(
      { method: 'tools/call', params: { name, arguments: args, _meta: { progressToken: token } } },
      CallToolResultSchema,
      signal ? { signal } : {},
    );
    return { seen, done };
  }

  it('reports progress per timeframe, per sentiment source and per scan step, all before the answer', async () => {
    let call = callWithProgress('fetch_technical_snapshot', { symbol: 'SOL/USDT', timeframes: ['15m', '1h', '4h'] });
    await call.done;
    await until(() => call.seen.length === 3, 'three progress notifications');
    expect(call.seen.map((p) => p.progress)).toEqual([1, 2, 3]);
    expect(call.seen.every((p) => p.total === 3)).toBe(true);
    expect(call.seen.map((p) => p.message!.split(':')[0]).sort()).toEqual(['15m', '1h', '4h']);

    call = callWithProgress('scan_market_movers', {});
    await call.done;
    await until(() => call.seen.length === 3, 'three progress notifications');
    expect(call.seen.map((p) => `${p.progress}/${p.total}`)).toEqual(['1/3', '2/3', '3/3']);
    expect(call.seen[1]!.message).toMatch(/movers at 5% or more/);

    call = callWithProgress('fetch_sentiment_data', { symbol: 'BTC/USDT' });
    await call.done;
    await until(() => call.seen.length === 1, 'one progress notification');
    expect(call.seen.map((p) => p.message)).toEqual(['positioning: ok']);
  });

  it('stops the work of a cancelled call: no retry goes out after the cancel', async () => {
    // The 4h candles hang until the 1 s timeout; the call would retry them three times.
    sim.faults.inject({ kind: 'timeout', pathPrefix: '/v5/market/kline', query: { interval: '240' }, count: Infinity });
    try {
      const before = sim.requestCount('/v5/market/kline');
      const controller = new AbortController();
      const call = callWithProgress('fetch_technical_snapshot', { symbol: 'XRP/USDT', timeframes: ['15m', '1h', '4h'] }, controller.signal);
      call.done.catch(() => {});
      await until(() => call.seen.length === 2, 'the two timeframes that answer');
      controller.abort('user cancelled');
      await expect(call.done).rejects.toThrow();
      // Without the cancel, the 4h retries go out at ~1.25 s, ~2.5 s and ~4 s.
      await new Promise((r) => setTimeout(r, 3000));
      expect(sim.requestCount('/v5/market/kline') - before).toBe(3);
      expect(call.seen).toHaveLength(2);
    } finally {
      sim.faults.clear();
    }
  }, 20_000);

  it('sends the log records at the level the client sets', async () => {
    logs.length = 0;
    await call(client, 'get_current_price', { symbol: 'BTC/USDT' });
    await new Promise((r) => setTimeout(r, 200));
    expect(logs.filter((l) => l.level === 'debug')).toEqual([]);

    await client.setLoggingLevel('debug');
    await call(client, 'get_current_price', { symbol: 'BTC/USDT' });
    await until(() => logs.some((l) => l.data.msg === 'tool call'), 'the debug record of the call');
    const record = logs.find((l) => l.data.msg === 'tool call')!;
    expect(record).toMatchObject({ level: 'debug', logger: 'cctrader.mcp', data: { tool: 'get_current_price' } });
    // stderr stays at LOG_LEVEL (warn): the client's level is its own.
    expect(served.stderr()).not.toContain('"msg":"tool call"');

    await client.setLoggingLevel('error');
    logs.length = 0;
    await call(client, 'get_current_price', { symbol: 'BTC/USDT' });
    await new Promise((r) => setTimeout(r, 200));
    expect(logs).toEqual([]);
  });
});

describe.each<TransportKind>(['stdio', 'http'])('read-only mode and toolsets over %s', (kind) => {
  it('serve --read-only lists and accepts only tools that change nothing, and says so', async () => {
    const served = await serveAndConnect(kind, deskEnv(), ['--read-only']);
    try {
      const names = (await served.client.listTools()).tools.map((t) => t.name);
      expect(names).not.toContain('submit_trading_signal');
      expect(names).not.toContain('close_position');
      expect(names).toContain('get_portfolio_status');
      expect(served.client.getInstructions()).toMatch(/Read-only mode/);
      const r = await call(served.client, 'close_position', { symbol: 'BTC/USDT' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^NOT_FOUND: No tool named close_position/);
    } finally {
      await served.close();
    }
  }, 30_000);

  it('CCTRADER_TOOLSETS serves only those groups and the instructions name them', async () => {
    const served = await serveAndConnect(kind, deskEnv({ CCTRADER_TOOLSETS: 'market,usage' }));
    try {
      const names = (await served.client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(['fetch_market_data', 'get_current_price', 'get_token_report', 'scan_market_movers']);
      const instructions = served.client.getInstructions()!;
      expect(instructions).toContain('Toolsets enabled: market, usage');
      expect(instructions).not.toContain('submit_trading_signal');
    } finally {
      await served.close();
    }
  }, 30_000);
});

describe('serve with a bad tool selection', () => {
  it('exits non-zero naming the toolsets it knows', async () => {
    const r = await runBin(['serve', '--toolsets', 'market,bogus'], deskEnv());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/CCTRADER_TOOLSETS/);
    expect(r.stderr).toMatch(/market/);
  });
});
