import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';
import { spawnBin } from '../helpers/spawn.js';

let sim: SimExchange;
beforeAll(async () => {
  sim = await startSimExchange({ seed: 7 });
});
afterAll(async () => {
  await sim.close();
});

describe('cctrader serve (stdio)', () => {
  it('speaks only JSON-RPC on stdout, logs on stderr, and answers tools through the real exchange path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cctrader-stdio-'));
    const child = spawnBin(['serve'], {
      EXCHANGE_BASE_URL: sim.url,
      DB_PATH: join(dir, 'desk.db'),
      EXCHANGE_RATE_LIMIT: 'false',
      LOG_LEVEL: 'debug',
      BYBIT_API_KEY: 'canary-api-key-0001',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const send = (msg: object) => child.stdin.write(JSON.stringify(msg) + '\n');
    const waitFor = async (id: number) => {
      for (let i = 0; i < 300; i++) {
        const line = stdout.split('\n').find((l) => l.includes(`"id":${id}`));
        if (line) return JSON.parse(line);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no answer to ${id}; stderr: ${stderr}`);
    };

    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const init = await waitFor(1);
    expect(init.result.serverInfo.name).toBe('cctrader');
    expect(init.result.instructions).toContain('trading desk');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await waitFor(2)).result.tools.map((t: { name: string }) => t.name)).toContain('get_current_price');
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_current_price', arguments: { symbol: 'BTCUSDT' } } });
    const price = await waitFor(3);
    expect(price.result.isError ?? false).toBe(false);
    expect(price.result.structuredContent.symbol).toBe('BTC/USDT:USDT');
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_current_price', arguments: { symbol: 'NOPE' } } });
    expect((await waitFor(4)).result.isError).toBe(true);

    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);

    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(JSON.parse(line).jsonrpc).toBe('2.0');
    // logs went to stderr, and the API key never appears anywhere
    expect(stderr).toContain('"level"');
    expect(stdout + stderr).not.toContain('canary-api-key-0001');
  });
});
