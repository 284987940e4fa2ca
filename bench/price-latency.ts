/**
 * get_current_price over a real stdio connection to the compiled server, warm cache, next to an
 * MCP `ping` round trip (the protocol's no-op) measured in the same run. Goal: p50 within 2x.
 * Both paths are warmed (the server's JIT) and then timed alternately, call by call, so that a
 * pause of the machine falls on both alike: timed in two blocks, a few hundred calls apart, the
 * ratio wandered between 1.3x and 3.5x from run to run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startSimExchange } from '../src/sim/server.js';
import { percentile, printTable, type BenchResult, timeSorted } from './types.js';

const BIN = fileURLToPath(new URL('../bin/cctrader.js', import.meta.url));

export async function benchPriceLatency(n = 2000): Promise<BenchResult[]> {
  const sim = await startSimExchange({ seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'cctrader-bench-'));
  const spawnedAt = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve'],
    env: {
      PATH: process.env.PATH ?? '',
      EXCHANGE_BASE_URL: sim.url,
      DB_PATH: join(dir, 'bench.db'),
      LOG_LEVEL: 'warn',
      EXCHANGE_RATE_LIMIT: 'false',
      TICKER_TTL_MS: '60000',
    },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  try {
    await client.connect(transport);
    await client.listTools();
    const startupMs = performance.now() - spawnedAt;
    const call = () => client.callTool({ name: 'get_current_price', arguments: { symbol: 'BTC/USDT' } });
    await call(); // warm: markets loaded, ticker cached
    for (let i = 0; i < 500; i++) {
      await call();
      await client.ping();
    }
    const noop: number[] = [];
    const price: number[] = [];
    for (let i = 0; i < n; i++) {
      noop.push(...(await timeSorted(1, () => client.ping())));
      price.push(...(await timeSorted(1, call)));
    }
    noop.sort((a, b) => a - b);
    price.sort((a, b) => a - b);
    const totalSec = price.reduce((a, b) => a + b, 0) / 1000;
    const ratio = percentile(price, 50) / percentile(noop, 50);
    const f = (x: number) => `${x.toFixed(3)} ms`;
    return [
      { name: 'stdio spawn → tools/list answered', goal: '< 500 ms', result: `${startupMs.toFixed(0)} ms`, ok: startupMs < 500 },
      { name: 'MCP ping round trip (no-op), p50 / p99', goal: 'baseline', result: `${f(percentile(noop, 50))} / ${f(percentile(noop, 99))}`, ok: null },
      {
        name: 'get_current_price warm, p50 / p99',
        goal: 'p50 ≤ 2x no-op',
        result: `${f(percentile(price, 50))} / ${f(percentile(price, 99))} (${ratio.toFixed(2)}x, ${Math.round(n / totalSec)} calls/s)`,
        ok: ratio <= 2,
      },
    ];
  } finally {
    await client.close();
    await sim.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printTable(await benchPriceLatency(), (s) => process.stdout.write(s));
}
