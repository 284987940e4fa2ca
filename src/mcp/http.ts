/**
 * The MCP server on Streamable HTTP (POST/GET/DELETE /mcp), one session per client.
 * Binds 127.0.0.1 by default. Host and Origin are checked on every request (DNS-rebinding
 * protection); a non-loopback bind requires CCTRADER_HTTP_TOKEN, and when a token is set every
 * request must carry it as `Authorization: Bearer <token>`.
 */
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { createMcpServer, type McpServerOptions } from './server.js';

export interface HttpOptions {
  host: string;
  port: number;
  token?: string | undefined;
  /** Host names or IPs (with or without a port) whose Host header is served besides loopback (CCTRADER_HTTP_ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** Browser origins allowed besides the server's own (CCTRADER_HTTP_ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  /** Largest request body accepted, bytes. */
  maxBodyBytes?: number;
  /** What each session's server serves (toolsets, read-only mode). */
  server?: McpServerOptions;
}

export interface HttpHandle {
  url: string;
  close(): Promise<void>;
}

const NOT_JSON = 'Request body is not JSON';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Host and Origin checks (DNS-rebinding protection) for a server bound at `host:port`. */
class RequestGuard {
  private readonly listed: string[];
  private readonly origins: Set<string>;
  port: number;

  constructor(private readonly options: HttpOptions) {
    this.port = options.port;
    this.listed = (options.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean);
    this.origins = new Set((options.allowedOrigins ?? []).map((o) => o.trim().toLowerCase().replace(/\/+$/, '')).filter(Boolean));
  }

  /** Loopback names and the bind address at our port, plus the configured hosts: `name` on any port, `name:port` only on that port. */
  hostAllowed(header: string): boolean {
    const bind = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    if (['127.0.0.1', 'localhost', '[::1]', bind].some((h) => `${h}:${this.port}`.toLowerCase() === header)) return true;
    const name = header.replace(/:\d+$/, '');
    return this.listed.some((entry) => entry === header || (!/:\d+$/.test(entry) && entry === name));
  }

  originAllowed(origin: string): boolean {
    const o = origin.toLowerCase().replace(/\/+$/, '');
    if (this.origins.has(o)) return true;
    const hostPart = /^https?:\/\/(.+)$/.exec(o)?.[1];
    return hostPart !== undefined && ['127.0.0.1', 'localhost', '[::1]'].some((h) => hostPart === `${h}:${this.port}`);
  }
}

function reject(res: ServerResponse, status: number, code: string, message: string, rpcCode = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: rpcCode, message: `${code}: ${message}` }, id: null }));
}

function readBody(req: IncomingMessage, maxBody: number): Promise<unknown> {
  return new Promise((resolve, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        fail(new AppError('INVALID_INPUT', 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
      } catch {
        fail(new AppError('INVALID_INPUT', NOT_JSON));
      }
    });
    req.on('error', fail);
  });
}

/** The MCP endpoint proper: one Streamable HTTP transport (and server) per session. */
class McpEndpoint {
  readonly sessions = new Map<string, StreamableHTTPServerTransport>();

  constructor(
    private readonly deps: Deps,
    private readonly maxBody: number,
    private readonly serverOptions: McpServerOptions = {},
  ) {}

  async post(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): Promise<void> {
    let body: unknown;
    try {
      body = await readBody(req, this.maxBody);
    } catch (error) {
      if (error instanceof AppError && error.message === NOT_JSON) return reject(res, 400, 'PARSE_ERROR', 'the request body is not JSON', -32700);
      return reject(res, 400, 'INVALID_INPUT', error instanceof AppError ? error.message : 'unreadable body');
    }
    const existing = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    if (existing) return existing.handleRequest(req, res, body);
    if (sessionId !== undefined) return reject(res, 404, 'NOT_FOUND', 'unknown or expired session');
    if (!isInitializeRequest(body)) return reject(res, 400, 'INVALID_INPUT', 'first request must be initialize');
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void this.sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await createMcpServer(this.deps, this.serverOptions).connect(transport);
    return transport.handleRequest(req, res, body);
  }

  async getOrDelete(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): Promise<void> {
    if (sessionId === undefined) return reject(res, 400, 'INVALID_INPUT', 'the Mcp-Session-Id header is required');
    const existing = this.sessions.get(sessionId);
    if (!existing) return reject(res, 404, 'NOT_FOUND', 'unknown or expired session');
    return existing.handleRequest(req, res);
  }

  async close(): Promise<void> {
    for (const t of this.sessions.values()) await t.close().catch(() => {});
    this.sessions.clear();
  }
}

/** Every request: Host, Origin and the bearer token first, then the endpoint by method. */
function handler(guard: RequestGuard, expectedToken: Buffer | null, endpoint: McpEndpoint) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!guard.hostAllowed((req.headers.host ?? '').toLowerCase())) {
      return reject(res, 403, 'FORBIDDEN', 'Host header not allowed (CCTRADER_HTTP_ALLOWED_HOSTS lists the names served beyond loopback)');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !guard.originAllowed(origin)) {
      return reject(res, 403, 'FORBIDDEN', 'Origin not allowed (CCTRADER_HTTP_ALLOWED_ORIGINS lists the browser origins allowed)');
    }
    if (expectedToken) {
      // RFC 6750: the scheme name is case-insensitive.
      const given = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!timingSafeEqual(digest(given), expectedToken)) {
        res.setHeader('www-authenticate', 'Bearer');
        return reject(res, 401, 'AUTH', 'missing or wrong bearer token');
      }
    }
    if ((req.url ?? '/').split('?')[0] !== '/mcp') return reject(res, 404, 'NOT_FOUND', 'the MCP endpoint is /mcp');
    const header = req.headers['mcp-session-id'];
    const sessionId = typeof header === 'string' ? header : undefined;
    if (req.method === 'POST') return endpoint.post(req, res, sessionId);
    if (req.method === 'GET' || req.method === 'DELETE') return endpoint.getOrDelete(req, res, sessionId);
    res.setHeader('allow', 'GET, POST, DELETE');
    return reject(res, 405, 'INVALID_INPUT', 'method not allowed');
  };
}

export async function serveHttp(deps: Deps, options: HttpOptions): Promise<HttpHandle> {
  if (!isLoopbackHost(options.host) && !options.token) {
    throw new AppError('CONFIG', `Refusing to bind ${options.host} without CCTRADER_HTTP_TOKEN`, {
      hint: 'set CCTRADER_HTTP_TOKEN (16+ characters) to serve beyond loopback, or bind 127.0.0.1',
    });
  }
  const log = deps.log.child({ component: 'http' });
  const expectedToken = options.token ? digest(options.token) : null;
  const guard = new RequestGuard(options);
  const endpoint = new McpEndpoint(deps, options.maxBodyBytes ?? 1_000_000, options.server);
  const handle = handler(guard, expectedToken, endpoint);
  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error('http request failed', { error });
      if (!res.headersSent) reject(res, 500, 'INTERNAL', 'request failed');
      else res.end();
    });
  });
  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, options.host, () => resolve());
  });
  guard.port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shownHost}:${guard.port}/mcp`;
  log.info('mcp server listening on http', { url, auth: expectedToken ? 'bearer' : 'none' });
  return {
    url,
    async close() {
      await endpoint.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
