/**
 * Eight HTTP clients submitting signals at once: the exposure cap and the position limit hold,
 * no signal row is lost or duplicated, and a signal_id raced by every client trades once.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHttp, type HttpHandle } from '../../src/mcp/http.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const TOKEN = 'concurrency-token-0123456789';
const CLIENTS = 8;
const SYMBOLS = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'BNB', 'ADA', 'AVAX', 'LINK', 'DOT', 'TRX', 'LTC', 'BCH', 'NEAR', 'ATOM', 'UNI'];

let desk: TestDesk;
let http: HttpHandle;
const clients: Client[] = [];

type Result = { isError?: boolean; content: Array<{ text?: string }>; structuredContent?: any };

beforeAll(async () => {
  desk = await startTestDesk({
    env: { MAX_OPEN_POSITIONS: '100', MAX_TOTAL_EXPOSURE_PCT: '40', MAX_POSITION_SIZE_PCT: '8', MIN_STOP_ATR: '0', MAX_STOP_ATR: '0' },
  });
  http = await serveHttp(desk.app.deps, { host: '127.0.0.1', port: 0, token: TOKEN });
  for (let i = 0; i < CLIENTS; i++) {
    const client = new Client({ name: `trader-${i}`, version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    clients.push(client);
  }
});
afterAll(async () => {
  for (const c of clients) await c.close();
  await http.close();
  await desk.close();
});

async function signalFor(symbol: string, extra: Record<string, unknown> = {}) {
  const quote = (await desk.call('get_current_price', { symbol: `${symbol}/USDT` })).data;
  const last = quote.last as number;
  return {
    symbol: `${symbol}/USDT`,
    direction: 'long',
    confidence: 80,
    entry_price: last,
    stop_loss: last * 0.98,
    take_profit: last * 1.05,
    analysis: 'concurrency test',
    ...extra,
  };
}

describe('eight HTTP clients at once', () => {
  it('never exceed the exposure cap, and lose or duplicate no signal', async () => {
    const signals = await Promise.all(SYMBOLS.map((s) => signalFor(s)));
    const results = (await Promise.all(
      signals.map((args, i) => clients[i % CLIENTS]!.callTool({ name: 'submit_trading_signal', arguments: args })),
    )) as Result[];
    for (const r of results) expect(r.isError ?? false, r.content[0]?.text).toBe(false);
    const statuses = results.map((r) => r.structuredContent.status);
    expect(statuses.filter((s) => s === 'executed').length).toBeGreaterThan(0);
    expect(statuses.some((s) => s === 'rejected')).toBe(true); // the cap bit

    const status = (await desk.call('get_portfolio_status', {})).data;
    expect(status.account.exposurePct).toBeLessThanOrEqual(40 + 1e-9);
    const rows = await desk.app.deps.db.selectFrom('movers_signals').select(['id', 'symbol']).execute();
    expect(rows).toHaveLength(SYMBOLS.length);
    expect(new Set(rows.map((r) => r.symbol)).size).toBe(SYMBOLS.length);
    const open = await desk.app.deps.db.selectFrom('paper_positions').select('symbol').where('status', '=', 'open').execute();
    expect(open.length).toBe(statuses.filter((s) => s === 'executed').length);
    expect(new Set(open.map((p) => p.symbol)).size).toBe(open.length);
  });

  it('trade a signal_id raced by every client exactly once', async () => {
    await desk.call('close_position', { symbol: 'UNI/USDT' });
    const args = await signalFor('FIL', { signal_id: 'race-1' });
    const results = (await Promise.all(clients.map((c) => c.callTool({ name: 'submit_trading_signal', arguments: args })))) as Result[];
    const ids = new Set(results.map((r) => r.structuredContent.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.structuredContent.replayed).length).toBe(CLIENTS - 1);
    const rows = await desk.app.deps.db.selectFrom('movers_signals').select('id').where('signal_id', '=', 'race-1').execute();
    expect(rows).toHaveLength(1);
    const trades = await desk.app.deps.db.selectFrom('paper_positions').select('id').where('symbol', '=', 'FIL/USDT:USDT').execute();
    expect(trades.length).toBeLessThanOrEqual(1);
  });
});
