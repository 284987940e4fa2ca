/** Test harness: the real desk (real ccxt, real SQLite, real MCP server) against the simulator. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createDeps, type AppHandle } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/shared/clock.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { startSimExchange, type SimExchange, type SimExchangeOptions } from '../../src/sim/server.js';

export interface TestDesk {
  sim: SimExchange;
  app: AppHandle;
  config: Config;
  client: Client;
  logs: string[];
  /** Call a tool and return its result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallResult {
  isError: boolean;
  text: string;
  data: any;
  /** The result's `_meta` (chart data for a client that renders views). */
  meta?: Record<string, any> | undefined;
  /** The result as it came over the wire. */
  raw: { content: Array<{ type: 'text'; text: string }>; structuredContent?: Record<string, unknown>; _meta?: Record<string, unknown>; isError?: boolean };
}

export interface TestDeskOptions {
  env?: Record<string, string>;
  sim?: SimExchangeOptions;
  clock?: Clock;
  /** The client's `initialize` capabilities, e.g. the MCP Apps extension (views). */
  clientCapabilities?: Record<string, unknown>;
}

export async function startTestDesk(options: TestDeskOptions = {}): Promise<TestDesk> {
  const sim = await startSimExchange({ seed: 42, ...options.sim });
  const config = loadConfig({
    env: {
      EXCHANGE_BASE_URL: sim.url,
      DB_PATH: ':memory:',
      EXCHANGE_RATE_LIMIT: 'false',
      EXCHANGE_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'debug',
      ...options.env,
    },
  });
  const logs: string[] = [];
  const app = await createDeps(config, {
    writeLog: (line) => void logs.push(line),
    retryBaseDelayMs: 5,
    clock: options.clock ?? { now: () => sim.clock.now() },
  });
  const server = createMcpServer(app.deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1.0.0' }, options.clientCapabilities ? { capabilities: options.clientCapabilities } : undefined);
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    sim,
    app,
    config,
    client,
    logs,
    async call(name, args = {}) {
      const result = (await client.callTool({ name, arguments: args })) as CallResult['raw'];
      const text = result.content.map((c) => c.text ?? '').join('');
      return { isError: Boolean(result.isError), text, data: result.structuredContent, meta: result._meta, raw: result };
    },
    async close() {
      await client.close();
      await server.close();
      await app.close();
      await sim.close();
    },
  };
}
