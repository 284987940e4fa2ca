/**
 * The in-process tool set of an unattended analysis knows its run: its portfolio, signal_id and
 * coin are bound by the code. Through a real MCP client on the server the agent runner attaches.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../../src/mcp/server.js';
import { createPortfolio } from '../../src/trading/portfolios.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let desk: TestDesk;
let client: Client;
beforeAll(async () => {
  desk = await startTestDesk({ sim: { now: Date.UTC(2025, 0, 15, 12) }, env: { LOG_LEVEL: 'warn' } });
  await createPortfolio(desk.app.deps, 'run-p', 5000);
  const server = createMcpServer(desk.app.deps, { binding: { portfolio: 'run-p', signalId: 'cycle-1:SOLUSDT', symbol: 'SOL/USDT:USDT' } });
  const [a, b] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: 'agent', version: '1' });
  await server.connect(b);
  await client.connect(a);
});
afterAll(async () => {
  await client.close();
  await desk.close();
});

async function call(name: string, args: Record<string, unknown>) {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text: string }>; structuredContent: any };
  return { isError: Boolean(r.isError), text: r.content[0]!.text, data: r.structuredContent };
}

describe('a bound run', () => {
  it('trades its own portfolio under its own signal_id, and says what it ignored', async () => {
    const price = (await desk.call('get_current_price', { symbol: 'SOL/USDT' })).data.last as number;
    const r = await call('submit_trading_signal', {
      symbol: 'SOLUSDT',
      direction: 'long',
      confidence: 70,
      entry_price: price,
      stop_loss: Number((price * 0.98).toFixed(3)),
      take_profit: Number((price * 1.05).toFixed(3)),
      analysis: 'bound run',
      portfolio: 'default',
      signal_id: 'mine',
    });
    expect(r.isError, r.text).toBe(false);
    expect(r.data.signalId).toBe('cycle-1:SOLUSDT');
    expect(r.data.note).toMatch(/portfolio "default" ignored: this run trades portfolio "run-p"/);
    expect(r.data.note).toMatch(/signal_id "mine" ignored/);
    const row = await desk.app.deps.db
      .selectFrom('movers_signals as s')
      .innerJoin('paper_portfolios as p', 'p.id', 's.portfolio_id')
      .select(['p.name', 's.signal_id'])
      .where('s.id', '=', r.data.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'run-p', signal_id: 'cycle-1:SOLUSDT' });
    // The portfolio tool reads the run's portfolio too.
    expect((await call('get_portfolio_status', { portfolio: 'default' })).data.portfolio).toBe('run-p');
  });

  it('refuses a signal for another coin', async () => {
    const r = await call('submit_trading_signal', {
      symbol: 'BTC/USDT',
      direction: 'long',
      confidence: 70,
      entry_price: 100,
      stop_loss: 90,
      take_profit: 130,
      analysis: 'x',
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^INVALID_INPUT: This analysis is about SOL\/USDT:USDT/);
  });
});
