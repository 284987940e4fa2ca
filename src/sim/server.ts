/**
 * The simulated exchange: a loopback HTTP server (node:http) speaking Bybit's v5 PUBLIC market API
 * well enough for the real ccxt bybit client, over a deterministic market model. It backs
 * `cctrader sim-exchange`, the offline demo and every test of the project.
 *
 * Point ccxt at it by overwriting the URL map after construction:
 *   for (const k of Object.keys(ex.urls.api)) ex.urls.api[k] = sim.url;
 * and use `options.fetchMarkets.types = ['spot', 'linear']` (inverse and option are empty here).
 *
 * Endpoints (GET): /v5/market/time, instruments-info, tickers, kline (+ mark-price-kline,
 * index-price-kline), orderbook, open-interest, funding/history, account-ratio. Unknown paths
 * answer HTTP 404 with a plain-text body; parameter errors answer retCode 10001 (an unknown symbol
 * says "Not supported symbols", which ccxt raises as BadSymbol).
 *
 * The market (see market-model.ts): ~30 USDT perpetuals (and spot pairs with the same ids and
 * prices) whose prices are a pure function of (seed, symbol, time), so a frozen clock gives
 * identical answers and candles at every interval are exact aggregates of the 1-minute path.
 * At every moment 6-10 symbols have moved >= 5 % over 24 h, at least 3 each way.
 *
 * Controls, in-process (the returned object) or over HTTP for another process:
 *   POST   /__sim/faults  body = FaultSpec (JSON; "count": "Infinity" allowed)
 *   DELETE /__sim/faults
 *   POST   /__sim/clock   { "set": ms } | { "advance": ms }
 *   POST   /__sim/shock   { "symbol": "BTCUSDT", "pct": -8 }
 *   POST   /__sim/ip-limit { "limit": 600, "windowMs": 5000, "blockMs": 600000 } | { "off": true }
 *   GET    /__sim/state   clock, seed, symbols, current movers, active faults, shocks, request
 *                         counts, traffic (requests, rate-limit answers given, IP limit, block)
 *
 * IP limit (ip-limit.ts, off unless `ipLimit` is given): Bybit's 600 market requests per 5 s per
 * IP; the request past it and every request during the block answer HTTP 403 "access too frequent".
 * Control requests are never faulted and not counted.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import { envelope, handleMarketRequest } from './bybit-api.js';
import { type ActiveFault, FaultRegistry, type FaultInjector, type FaultSpec, isFaultKind } from './faults.js';
import { IpLimiter, type IpLimitOptions, type TrafficStats } from './ip-limit.js';
import { MarketModel } from './market-model.js';

export type { FaultInjector, FaultKind, FaultSpec } from './faults.js';
export type { IpLimitOptions, TrafficStats } from './ip-limit.js';
export { busiestWindow } from './ip-limit.js';

export interface SimExchangeOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Seed of the market model; default 42. */
  seed?: number;
  /**
   * The clock, epoch ms: a number freezes it at that instant; a function is consulted on every
   * request (a controllable clock); default Date.now.
   */
  now?: number | (() => number);
  /** Diagnostics (start, internal errors). The server never writes to stdout or stderr itself. */
  log?: (msg: string) => void;
  /** Enforce Bybit's IP limit (`true`: 600 per 5 s, 10-minute block); off by default. */
  ipLimit?: IpLimitOptions | boolean;
  /** Real time for the IP limit and request stamps, epoch ms; default Date.now. */
  wallClock?: () => number;
}

export interface SimClock {
  /** Current simulated time, epoch ms (integer). */
  now(): number;
  /** Jump to `ms`; with a running base clock, time keeps flowing from there. */
  set(ms: number): void;
  /** Move forward (or back, if negative) by `ms`. */
  advance(ms: number): void;
}

export interface SimExchange {
  /** Base URL, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  /** Stops listening and destroys every open connection, including held ('timeout') requests. */
  close(): Promise<void>;
  clock: SimClock;
  faults: FaultInjector;
  /**
   * From the current time on, multiplies `symbol`'s price path (exchange id, e.g. BTCUSDT) by
   * (1 + pct/100): a gap. Earlier candles are unchanged; the forming candle's high/low include the
   * jump. Throws on an unknown symbol or pct <= -100.
   */
  shock(symbol: string, pct: number): void;
  /** Exchange ids of the linear perpetuals (the spot pairs have the same ids). */
  symbols(): string[];
  /** Market-API requests received (faulted ones included) whose path starts with `pathPrefix` (default: all). */
  requestCount(pathPrefix?: string): number;
  /** Turn Bybit's IP limit on (Bybit's numbers by default) or off (null); clears a block. */
  setIpLimit(options: IpLimitOptions | null): void;
  /** Requests and rate-limit answers since the last `resetTraffic`, the IP limit and any block. */
  traffic(): TrafficStats;
  /** Arrival times (wall clock, epoch ms) of the market requests since the last `resetTraffic`. */
  requestStamps(): number[];
  resetTraffic(): void;
}

const MAX_CONTROL_BODY_BYTES = 64 * 1024;
/** The simulator's moving parts, shared by the request handlers below. */
interface Sim {
  seed: number;
  model: MarketModel;
  clock: SimClock;
  faults: FaultRegistry;
  limiter: IpLimiter;
  /** Market requests per path. */
  counts: Map<string, number>;
  /** Answers held back by a `latency` fault. */
  timers: Set<NodeJS.Timeout>;
  closing: boolean;
  log: (msg: string) => void;
}

function shockOf(sim: Sim): (symbol: string, pct: number) => void {
  return (symbol, pct) => {
    if (!sim.model.has(symbol)) throw new RangeError(`unknown symbol ${symbol}`);
    if (!Number.isFinite(pct) || pct <= -100) throw new RangeError('pct must be a finite number > -100');
    sim.model.shock(symbol, sim.clock.now(), pct);
  };
}

/** Answers a market request; an unexpected exception becomes Bybit's internal-error envelope. */
function serveMarket(sim: Sim, req: IncomingMessage, res: ServerResponse, url: URL): void {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 404, 'text/plain; charset=utf-8', '404 page not found');
    const answer = handleMarketRequest(sim.model, url.pathname, url.searchParams, sim.clock.now());
    if (answer === undefined) return send(res, 404, 'text/plain; charset=utf-8', '404 page not found');
    send(res, answer.status, answer.contentType, answer.body, answer.headers);
  } catch (error) {
    sim.log(`sim-exchange: internal error on ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    send(res, 500, 'application/json; charset=utf-8', envelope(10016, 'Internal server error.', {}, sim.clock.now()));
  }
}

const GARBAGE = '{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","lastPrice":"6';

/** Answers a request the way the fault says: a failure, a held socket, or the normal answer late. */
function applyFault(sim: Sim, fault: ActiveFault, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const now = sim.clock.now();
  switch (fault.kind) {
    case 'http429':
      sim.limiter.count('http429');
      return send(res, 429, 'text/plain; charset=utf-8', 'Too many visits. Exceeded the API Rate Limit.');
    case 'http403':
      sim.limiter.count('http403');
      return send(res, 403, 'text/plain; charset=utf-8', ACCESS_TOO_FREQUENT);
    case 'http500':
    case 'http502':
    case 'http503':
    case 'http504':
      return send(res, Number(fault.kind.slice(4)), 'text/html; charset=utf-8', gatewayPage(Number(fault.kind.slice(4))));
    case 'timeout':
      // Hold the request: no headers, no body. The client times out and drops the socket;
      // close() destroys whatever is still held.
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'garbage':
      return send(res, 200, 'application/json; charset=utf-8', GARBAGE);
    case 'empty':
      return send(res, 200, 'application/json; charset=utf-8', '');
    case 'html':
      return send(res, 200, 'text/html; charset=utf-8', CHALLENGE_PAGE);
    case 'retCode10006':
      sim.limiter.count('retCode10006');
      return send(res, 200, 'application/json; charset=utf-8', envelope(10006, 'Too many visits!', {}, now), {
        'X-Bapi-Limit': '600',
        'X-Bapi-Limit-Status': '0',
        'X-Bapi-Limit-Reset-Timestamp': String(now + 1000),
      });
    case 'latency': {
      const timer = setTimeout(() => {
        sim.timers.delete(timer);
        if (!sim.closing && !res.destroyed) serveMarket(sim, req, res, url);
      }, fault.latencyMs ?? 1000);
      sim.timers.add(timer);
      return;
    }
  }
}

function ipLimitOptions(body: Record<string, unknown>): IpLimitOptions | null {
  if (body['off'] === true) return null;
  const options: IpLimitOptions = {};
  for (const key of ['limit', 'windowMs', 'blockMs'] as const) {
    const v = body[key];
    if (typeof v === 'number') options[key] = v;
    else if (v !== undefined) throw new TypeError(`${key} must be a number`);
  }
  return options;
}

/** The control endpoints: route → what they answer. */
const CONTROL: Record<string, (sim: Sim, req: IncomingMessage) => Promise<unknown>> = {
  'GET /__sim/state': async (sim) => stateOf(sim),
  'POST /__sim/faults': async (sim, req) => {
    sim.faults.inject(parseFaultSpec(await readJson(req)));
    return { ok: true, faults: sim.faults.pending().map(serialiseFault) };
  },
  'DELETE /__sim/faults': async (sim) => {
    sim.faults.clear();
    return { ok: true, faults: [] };
  },
  'POST /__sim/ip-limit': async (sim, req) => {
    sim.limiter.configure(ipLimitOptions(asRecord(await readJson(req))));
    return { ok: true, traffic: sim.limiter.stats() };
  },
  'POST /__sim/clock': async (sim, req) => {
    const body = asRecord(await readJson(req));
    if (typeof body['set'] === 'number') sim.clock.set(body['set']);
    else if (typeof body['advance'] === 'number') sim.clock.advance(body['advance']);
    else throw new TypeError('body must be { "set": ms } or { "advance": ms }');
    return { ok: true, now: sim.clock.now(), nowIso: new Date(sim.clock.now()).toISOString() };
  },
  'POST /__sim/shock': async (sim, req) => {
    const body = asRecord(await readJson(req));
    const symbol = body['symbol'];
    const pct = body['pct'];
    if (typeof symbol !== 'string' || typeof pct !== 'number') throw new TypeError('body must be { "symbol": "BTCUSDT", "pct": -8 }');
    shockOf(sim)(symbol, pct);
    return { ok: true, symbol, pct, at: sim.clock.now() };
  },
};

async function handleControl(sim: Sim, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  const handler = CONTROL[route];
  if (!handler) return sendJson(res, 404, { error: `no control endpoint ${route}` });
  try {
    sendJson(res, 200, await handler(sim, req));
  } catch (error) {
    sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}

function stateOf(sim: Sim): Record<string, unknown> {
  const now = sim.clock.now();
  return {
    now,
    nowIso: new Date(now).toISOString(),
    seed: sim.seed,
    symbols: sim.model.symbols(),
    movers: sim.model
      .roles(now)
      .filter((r) => r.slopePerDay !== 0)
      .map((r) => ({ symbol: r.symbol, trendPctPerDay: Math.round(r.slopePerDay * 1000) / 10 })),
    faults: sim.faults.pending().map(serialiseFault),
    shocks: sim.model.shocks(),
    requests: Object.fromEntries(sim.counts),
    traffic: sim.limiter.stats(),
  };
}

/** Every request: control endpoints, then the IP limit, then an injected fault or the market. */
function route(sim: Sim): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim.invalid');
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'bad request');
    }
    if (url.pathname.startsWith('/__sim/')) return void handleControl(sim, req, res, url);
    sim.counts.set(url.pathname, (sim.counts.get(url.pathname) ?? 0) + 1);
    if (!sim.limiter.admit()) {
      sim.limiter.count('http403');
      return send(res, 403, 'text/plain; charset=utf-8', ACCESS_TOO_FREQUENT);
    }
    const fault = sim.faults.take(url.pathname, url.searchParams);
    if (fault !== undefined) applyFault(sim, fault, req, res, url);
    else serveMarket(sim, req, res, url);
  };
}

/** Listen, and the base URL. */
async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('sim-exchange: no TCP address');
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

export async function startSimExchange(opts: SimExchangeOptions = {}): Promise<SimExchange> {
  const seed = opts.seed ?? 42;
  if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be an integer');
  const sim: Sim = {
    seed,
    model: new MarketModel(seed),
    clock: createClock(opts.now),
    faults: new FaultRegistry(),
    limiter: new IpLimiter(opts.wallClock ?? Date.now),
    counts: new Map(),
    timers: new Set(),
    closing: false,
    log: opts.log ?? ((): void => undefined),
  };
  if (opts.ipLimit) sim.limiter.configure(opts.ipLimit === true ? {} : opts.ipLimit);
  const sockets = new Set<Socket>();
  const server = createServer(route(sim));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const url = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  sim.log(`sim-exchange listening on ${url} (seed ${seed})`);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closed !== undefined) return closed;
    sim.closing = true;
    for (const timer of sim.timers) clearTimeout(timer);
    sim.timers.clear();
    closed = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };

  return {
    url,
    close,
    clock: sim.clock,
    faults: sim.faults,
    shock: shockOf(sim),
    symbols: () => sim.model.symbols(),
    requestCount: (pathPrefix?: string): number => {
      let n = 0;
      for (const [path, count] of sim.counts) if (pathPrefix === undefined || path.startsWith(pathPrefix)) n += count;
      return n;
    },
    setIpLimit: (options) => sim.limiter.configure(options),
    traffic: () => sim.limiter.stats(),
    requestStamps: () => sim.limiter.requestStamps(),
    resetTraffic: () => sim.limiter.resetTraffic(),
  };
}

/** A clock over a base (frozen instant, caller's function, or Date.now) plus a manual offset. */
function createClock(now: number | (() => number) | undefined): SimClock {
  if (typeof now === 'number' && !Number.isFinite(now)) throw new RangeError('now must be a finite epoch-ms number');
  const base: () => number = typeof now === 'number' ? () => now : (now ?? Date.now);
  let offset = 0;
  const finite = (ms: number, what: string): number => {
    if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number of ms`);
    return ms;
  };
  return {
    now: () => Math.floor(base() + offset),
    set: (ms: number) => {
      offset = finite(ms, 'clock.set') - base();
    },
    advance: (ms: number) => {
      offset += finite(ms, 'clock.advance');
    },
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function serialiseFault(f: ActiveFault): Record<string, unknown> {
  return { ...f, remaining: Number.isFinite(f.remaining) ? f.remaining : 'Infinity' };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_CONTROL_BODY_BYTES) throw new TypeError('body too large');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TypeError('body is not valid JSON');
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A FaultSpec from JSON: `count` may be a number, "Infinity" or null (= Infinity). */
function parseFaultSpec(value: unknown): FaultSpec {
  const body = asRecord(value);
  const kind = body['kind'];
  if (!isFaultKind(kind)) throw new TypeError(`unknown fault kind ${JSON.stringify(kind)}`);
  const spec: FaultSpec = { kind };
  const count = body['count'];
  if (count === 'Infinity' || count === null) spec.count = Number.POSITIVE_INFINITY;
  else if (typeof count === 'number') spec.count = count;
  else if (count !== undefined) throw new TypeError('count must be a number or "Infinity"');
  for (const key of ['pathPrefix', 'symbol'] as const) {
    const v = body[key];
    if (typeof v === 'string') spec[key] = v;
    else if (v !== undefined) throw new TypeError(`${key} must be a string`);
  }
  if (body['query'] !== undefined) spec.query = body['query'] as Record<string, string>; // checked by inject()
  const latency = body['latencyMs'];
  if (typeof latency === 'number') spec.latencyMs = latency;
  else if (latency !== undefined) throw new TypeError('latencyMs must be a number');
  return spec;
}

function gatewayPage(status: number): string {
  const reason: Record<number, string> = {
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Temporarily Unavailable',
    504: 'Gateway Time-out',
  };
  const title = `${status} ${reason[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/** Bybit's answer to an IP past its limit. */
const ACCESS_TOO_FREQUENT = '403 Forbidden: access too frequent. Your IP is blocked; wait at least 10 minutes before trying again.';

const CHALLENGE_PAGE =
  '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="refresh" content="360"></head>' +
  '<body><div class="main-wrapper"><h1>api.bybit.com</h1><p>Checking if the site connection is secure</p></div></body></html>';
