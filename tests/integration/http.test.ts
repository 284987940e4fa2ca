import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { spawnBin } from '../helpers/spawn.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHttp, type HttpHandle } from '../../src/mcp/http.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let desk: TestDesk;
beforeAll(async () => {
  desk = await startTestDesk();
});
afterAll(async () => {
  await desk.close();
});

const TOKEN = 'test-token-0123456789abcdef';

function rawPost(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined);
  await client.connect(transport);
  return client;
}

describe('cctrader serve --http', () => {
  let open: HttpHandle;
  let guarded: HttpHandle;
  beforeAll(async () => {
    open = await serveHttp(desk.app.deps, { host: '127.0.0.1', port: 0 });
    guarded = await serveHttp(desk.app.deps, { host: '127.0.0.1', port: 0, token: TOKEN });
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
  });

  it('serves the tools to a real MCP client on 127.0.0.1', async () => {
    const client = await connect(open.url);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('get_current_price');
    const r = (await client.callTool({ name: 'get_current_price', arguments: { symbol: 'ETH/USDT' } })) as unknown as { structuredContent: { symbol: string } };
    expect(r.structuredContent.symbol).toBe('ETH/USDT:USDT');
    await client.close();
  });

  it('rejects a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    const port = new URL(open.url).port;
    expect((await rawPost(open.url, { host: `evil.example:${port}` })).status).toBe(403);
    expect((await rawPost(open.url, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await rawPost(open.url, { origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('requires the bearer token when one is set', async () => {
    const missing = await rawPost(guarded.url, {});
    expect(missing.status).toBe(401);
    expect(missing.body).toContain('AUTH');
    expect(missing.body).not.toContain(TOKEN);
    expect((await rawPost(guarded.url, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const client = await connect(guarded.url, TOKEN);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it('answers a body that is not JSON with JSON-RPC -32700, a GET without a session with 400, and takes any case of "Bearer"', async () => {
    const u = new URL(guarded.url);
    const raw = (method: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: u.hostname, port: u.port, path: u.pathname, method, headers: { accept: 'application/json, text/event-stream', ...headers } },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const auth = { authorization: `bEaReR ${TOKEN}` };
    const garbage = await raw('POST', { ...auth, 'content-type': 'application/json' }, '{"jsonrpc": "2.0", "id": 1, "meth');
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body).error.code).toBe(-32700);
    expect((await raw('GET', auth)).status).toBe(400);
    expect((await rawPost(guarded.url, { authorization: `BEARER ${TOKEN}` })).status).toBe(200);
  });

  it('refuses to bind a non-loopback address without a token', async () => {
    await expect(serveHttp(desk.app.deps, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'CONFIG' });
  });
});

describe('remote HTTP (serve --http --host 0.0.0.0 with a token)', () => {
  const ip = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  async function serve(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
    const child = spawnBin(['serve', '--http', '--host', '0.0.0.0', '--port', '0'], {
      EXCHANGE_BASE_URL: desk.sim.url,
      DB_PATH: ':memory:',
      EXCHANGE_RATE_LIMIT: 'false',
      LOG_LEVEL: 'warn',
      CCTRADER_HTTP_TOKEN: TOKEN,
      ...env,
    });
    const port = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stderr.on('data', (d) => {
        text += d;
        const m = /cctrader MCP server on http:\/\/0\.0\.0\.0:(\d+)\/mcp/.exec(text);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${text}`)));
    });
    return {
      url: `http://${ip}:${port}/mcp`,
      stop: () =>
        new Promise<void>((resolve) => {
          child.on('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }

  it('serves a client that reaches it by a listed address, and refuses one reached by an unlisted name', async (ctx) => {
    if (!ip) return ctx.skip('this machine has no non-loopback IPv4 interface to reach the server by');
    const listed = await serve({ CCTRADER_HTTP_ALLOWED_HOSTS: `desk.example, ${ip}` });
    try {
      const client = await connect(listed.url, TOKEN);
      const r = (await client.callTool({ name: 'get_current_price', arguments: { symbol: 'BTC/USDT' } })) as unknown as {
        structuredContent: { symbol: string };
      };
      expect(r.structuredContent.symbol).toBe('BTC/USDT:USDT');
      await client.close();
      expect((await rawPost(listed.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      // A token is still required.
      expect((await rawPost(listed.url, {})).status).toBe(401);
    } finally {
      await listed.stop();
    }
    const unlisted = await serve({});
    try {
      const refused = await rawPost(unlisted.url, { authorization: `Bearer ${TOKEN}` });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('CCTRADER_HTTP_ALLOWED_HOSTS');
    } finally {
      await unlisted.stop();
    }
  });
});
