/**
 * The cassette recorder: a loopback HTTP server that stands in for the Anthropic Messages API
 * during a replay. The replay points the `claude` child's ANTHROPIC_BASE_URL at `url`; the real
 * Claude Agent SDK and its binary run unchanged.
 *
 * `POST /v1/messages` (any query string): the request's key (cassette-key.ts) is looked up.
 * - Hit: the recorded status, content-type, request-id and exact body bytes are answered (an SSE
 *   stream is sent whole). Costs nothing; its recorded usage, priced at `prices`, is what it would
 *   have cost.
 * - Miss, not recording: HTTP 400 with Anthropic's error envelope (`invalid_request_error`,
 *   `cassette miss: ...`) and `x-should-retry: false`, so the binary does not retry. Counted; the
 *   caller turns a miss into CASSETTE_MISS (our agent classifier reports the run as INVALID_INPUT).
 * - Miss, recording: forwarded to `upstream` (same method, path and query, body bytes as sent,
 *   every header but hop-by-hop ones, so the credentials `x-api-key` / `authorization` and the
 *   `anthropic-*` headers pass through; their values are never logged or stored), streamed back as
 *   it arrives, priced from its usage (spent), and stored when it is a 2xx whole message (see
 *   anthropic-wire.ts). Error answers pass through unrecorded; a 2xx cut short is paid but not stored.
 *
 * Other paths (`HEAD /api/hello`, `count_tokens`; the binary sends none with
 * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1) are forwarded when recording; otherwise
 * `/api/hello` answers 200 `{}` and anything else 404 in Anthropic's envelope, with
 * `x-should-retry: false`.
 *
 * Accounting: every request is one `CassetteRequest`; `mark()` and `since(mark)` give the requests
 * and sums of a stretch (one analysis, when analyses run one at a time). USD amounts are decimal
 * strings summed in decimal.js.
 *
 * Durability: a recorded entry is appended to the cassette's journal before its answer is finished
 * to the client (see cassette-store.ts); `close()` writes the cassette atomically when anything
 * was recorded (or recovered from a journal), so a crash never loses an answer that was paid for.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type { Logger } from '../log.js';
import { Dec } from '../shared/money.js';
import { priceTokens, type TokenCounts, type TokenPrices } from '../usage/prices.js';
import { answerUsage, errorEnvelope } from './anthropic-wire.js';
import { requestKey, summariseRequest, type RequestSummary } from './cassette-key.js';
import { CassetteStore, decodeBody, encodeBody, type CassetteEntry } from './cassette-store.js';

export { normaliseRequest, requestKey, type RequestSummary } from './cassette-key.js';
export type { CassetteDocument } from './cassette-store.js';

export interface CassetteRecorderOptions {
  /** The cassette file; it may not exist yet. */
  file: string;
  /** Forward misses to `upstream` and add their answers; otherwise a miss fails with HTTP 400. */
  record: boolean;
  /** Base URL misses are forwarded to when recording, e.g. `https://api.anthropic.com`. */
  upstream: string;
  /** USD per million tokens, to price each answer from its usage. */
  prices: TokenPrices;
  log: Logger;
}

/**
 * - `hit`: answered from the cassette (free; `costUsd` is what it would have cost);
 * - `miss`: not in the cassette and not recording: answered HTTP 400;
 * - `recorded`: forwarded, answered, stored (paid);
 * - `unstored`: forwarded and paid for but not stored: a 2xx cut short or carrying an error event,
 *   or a key recorded meanwhile by a concurrent twin;
 * - `upstream_error`: forwarded, the upstream answered an error or could not be reached (nothing
 *   stored, nothing paid);
 * - `other`: a request to another path (no key, no usage).
 */
export type CassetteOutcome = 'hit' | 'miss' | 'recorded' | 'unstored' | 'upstream_error' | 'other';

export interface CassetteRequest {
  outcome: CassetteOutcome;
  /** Method and path with query, e.g. `POST /v1/messages?beta=true`. */
  route: string;
  /** Null for `other` requests and bodies that are not JSON. */
  key: string | null;
  request: RequestSummary | null;
  /** HTTP status answered to the client. */
  status: number;
  model: string | null;
  messageId: string | null;
  tokens: TokenCounts;
  /** USD, decimal string, at `prices`: paid for `recorded` / `unstored`, would-have-cost for `hit`, else 0. */
  costUsd: string;
}

/** A request that went to the API and was (or may have been) billed: one `token_usage` row. */
export type PaidRequest = CassetteRequest & { outcome: 'recorded' | 'unstored' };

export interface CassetteDelta {
  /** Requests answered, of every kind. */
  requests: number;
  hits: number;
  misses: number;
  recorded: number;
  unstored: number;
  upstreamErrors: number;
  other: number;
  /** What the hits would have cost at `prices` (they cost nothing), USD decimal string. */
  wouldHaveCostUsd: string;
  /** What the forwarded requests cost (recorded and unstored), USD decimal string. */
  spentUsd: string;
  /** Forwarded requests with their model, message id and tokens, in order. */
  paid: PaidRequest[];
  /** The misses, in order. */
  missed: CassetteRequest[];
}

export interface CassetteStats extends CassetteDelta {
  file: string;
  /** Entries the cassette holds now. */
  entries: number;
}

/** A position in the recorder's request log. */
export interface CassetteMark {
  readonly position: number;
}

export interface CassetteRecorder {
  /** Base URL to give the run as ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:43117`. */
  readonly url: string;
  readonly file: string;
  readonly record: boolean;
  /** Everything since the recorder started. */
  stats(): CassetteStats;
  mark(): CassetteMark;
  /** The requests answered since `mark` was taken. */
  since(mark: CassetteMark): CassetteDelta;
  /** Stops the server (requests in flight are cut) and writes the cassette when it has new entries. Idempotent. */
  close(): Promise<void>;
}

const NO_TOKENS: TokenCounts = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
/** Never forwarded: hop-by-hop, recomputed, or the recorder's own business. */
const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'accept-encoding',
  'expect',
]);
/** Response headers a cassette entry keeps. */
const KEPT_HEADERS = ['content-type', 'request-id'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const pathOf = (url: string): string => new URL(url, 'http://recorder').pathname;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function upstreamHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  // Uncompressed, so the usage can be read and the bytes stored as sent.
  out.set('accept-encoding', 'identity');
  return out;
}

function clientHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
  });
  return out;
}

function sendError(res: ServerResponse, status: number, type: string, message: string, retry: boolean, errorCode?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorEnvelope(type, message, errorCode);
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-should-retry': retry ? 'true' : 'false',
    'request-id': 'req_cassette_recorder',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** Sums of a run of requests. */
export function summarise(requests: readonly CassetteRequest[]): CassetteDelta {
  const of = (o: CassetteOutcome) => requests.filter((r) => r.outcome === o);
  const sum = (rs: readonly CassetteRequest[]) => rs.reduce((s, r) => s.plus(r.costUsd), new Dec(0)).toFixed();
  const paid = requests.filter((r): r is PaidRequest => r.outcome === 'recorded' || r.outcome === 'unstored');
  return {
    requests: requests.length,
    hits: of('hit').length,
    misses: of('miss').length,
    recorded: of('recorded').length,
    unstored: of('unstored').length,
    upstreamErrors: of('upstream_error').length,
    other: of('other').length,
    wouldHaveCostUsd: sum(of('hit')),
    spentUsd: sum(paid),
    paid,
    missed: of('miss'),
  };
}

class Recorder implements CassetteRecorder {
  readonly file: string;
  readonly record: boolean;
  url = '';
  private readonly log: Logger;
  private readonly upstream: string;
  private readonly requests: CassetteRequest[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private readonly server = createServer((req, res) => this.track(req, res));
  private closing: Promise<void> | undefined;

  constructor(
    private readonly store: CassetteStore,
    private readonly options: CassetteRecorderOptions,
  ) {
    this.file = options.file;
    this.record = options.record;
    this.upstream = options.upstream.replace(/\/+$/, '');
    this.log = options.log.child({ component: 'cassette' });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.log.info('cassette recorder started', { file: basename(this.file), entries: this.store.size, record: this.record });
  }

  stats(): CassetteStats {
    return { ...summarise(this.requests), file: this.file, entries: this.store.size };
  }

  mark(): CassetteMark {
    return { position: this.requests.length };
  }

  since(mark: CassetteMark): CassetteDelta {
    return summarise(this.requests.slice(mark.position));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const abort of this.aborts) abort.abort();
    this.server.closeAllConnections();
    await Promise.allSettled([...this.inflight]);
    await stopped;
    if (this.store.dirty) await this.store.save();
    const s = this.stats();
    this.log.info('cassette closed', {
      file: basename(this.file),
      entries: s.entries,
      hits: s.hits,
      misses: s.misses,
      recorded: s.recorded,
      spentUsd: s.spentUsd,
    });
  }

  private track(req: IncomingMessage, res: ServerResponse): void {
    const done = this.handle(req, res).catch((error: unknown) => {
      this.log.error('cassette recorder failed on a request', { route: `${req.method} ${pathOf(req.url ?? '/')}`, error });
      sendError(res, 500, 'api_error', 'cassette recorder: internal error', false);
    });
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }

  private note(request: Omit<CassetteRequest, 'model' | 'messageId' | 'tokens' | 'costUsd'> & Partial<CassetteRequest>): void {
    const full: CassetteRequest = { model: null, messageId: null, tokens: NO_TOKENS, costUsd: '0', ...request };
    this.requests.push(full);
    this.log.debug('model request', {
      outcome: full.outcome,
      route: full.route,
      key: full.key?.slice(0, 12) ?? null,
      status: full.status,
      costUsd: full.costUsd,
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const route = `${method} ${url}`;
    if (method !== 'POST' || pathOf(url) !== '/v1/messages') return this.other(req, res, body, route);

    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (!isRecord(parsed)) {
      if (this.record) return this.forward(req, res, body, { route, key: null, request: null });
      sendError(res, 400, 'invalid_request_error', 'cassette recorder: the request body is not JSON', false);
      return this.note({ outcome: 'miss', route, key: null, request: null, status: 400 });
    }
    const key = requestKey(parsed);
    const request = summariseRequest(parsed);
    const entry = this.store.get(key);
    if (entry) return this.replay(res, entry, route);
    if (this.record) return this.forward(req, res, body, { route, key, request });

    this.note({ outcome: 'miss', route, key, request, status: 400 });
    this.log.warn('cassette miss', { key: key.slice(0, 12), model: request.model, messages: request.messages });
    const message = `cassette miss: no recorded answer for this request (key ${key.slice(0, 12)}, ${request.messages} messages) in ${basename(this.file)}; record to ask the API and add it`;
    sendError(res, 400, 'invalid_request_error', message, false, 'cassette_miss');
  }

  private replay(res: ServerResponse, entry: CassetteEntry, route: string): void {
    const bytes = decodeBody(entry);
    const costUsd = priceTokens(entry.usage, this.options.prices).toFixed();
    this.note({
      outcome: 'hit',
      route,
      key: entry.key,
      request: entry.request,
      status: entry.response.status,
      model: entry.model,
      messageId: entry.messageId,
      tokens: entry.usage,
      costUsd,
    });
    res.writeHead(entry.response.status, { ...entry.response.headers, 'content-length': String(bytes.length), 'x-cassette': 'hit' });
    res.end(bytes);
  }

  private async other(req: IncomingMessage, res: ServerResponse, body: Buffer, route: string): Promise<void> {
    if (this.record) return this.forward(req, res, body, { route, key: null, request: null }, true);
    const hello = pathOf(req.url ?? '/') === '/api/hello';
    this.note({ outcome: 'other', route, key: null, request: null, status: hello ? 200 : 404 });
    if (hello) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
      res.end(req.method === 'HEAD' ? undefined : '{}');
      return;
    }
    sendError(res, 404, 'not_found_error', 'cassette recorder: only /v1/messages is answered from a cassette', false);
  }

  /** Sends the request upstream and streams the answer back; stores a whole 2xx message. */
  private async forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    about: Pick<CassetteRequest, 'route' | 'key' | 'request'>,
    isOther = false,
  ): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const method = req.method ?? 'GET';
      let upstream: Response;
      try {
        upstream = await fetch(`${this.upstream}${req.url ?? '/'}`, {
          method,
          headers: upstreamHeaders(req.headers),
          ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
          signal: abort.signal,
        });
      } catch (error) {
        this.log.warn('upstream could not be reached', { route: about.route, upstream: new URL(this.upstream).host, error: errorCodeOf(error) });
        this.note({ ...about, outcome: isOther ? 'other' : 'upstream_error', status: 502 });
        sendError(res, 502, 'api_error', 'cassette recorder: the upstream API could not be reached', true);
        return;
      }
      res.writeHead(upstream.status, clientHeaders(upstream.headers));
      const chunks: Buffer[] = [];
      let cut = false;
      try {
        if (upstream.body) {
          for await (const chunk of upstream.body) {
            const buf = Buffer.from(chunk as Uint8Array);
            chunks.push(buf);
            res.write(buf);
          }
        }
      } catch (error) {
        cut = true;
        this.log.warn('upstream answer cut short', { route: about.route, status: upstream.status, error: errorCodeOf(error) });
      }
      if (isOther) {
        this.note({ ...about, outcome: 'other', status: upstream.status });
      } else {
        await this.account(upstream, Buffer.concat(chunks), cut, about);
      }
      if (cut) res.destroy();
      else res.end();
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** Prices a forwarded answer and stores it when it is a whole 2xx message. */
  private async account(upstream: Response, bytes: Buffer, cut: boolean, about: Pick<CassetteRequest, 'route' | 'key' | 'request'>): Promise<void> {
    const status = upstream.status;
    const contentType = upstream.headers.get('content-type') ?? '';
    const ok = status >= 200 && status < 300;
    const usage = ok ? answerUsage(bytes.toString('utf8'), contentType) : null;
    if (!ok) {
      this.log.warn('upstream answered an error; not recorded', { route: about.route, status });
      this.note({ ...about, outcome: 'upstream_error', status });
      return;
    }
    const tokens = usage?.tokens ?? NO_TOKENS;
    const cost = priceTokens(tokens, this.options.prices);
    const priced = { status, model: usage?.model ?? null, messageId: usage?.messageId ?? null, tokens, costUsd: cost.toFixed() };
    if (!usage?.complete || cut || about.key === null || about.request === null) {
      this.log.warn('upstream answer is not a whole message; paid, not recorded', { route: about.route, status, cut });
      this.note({ ...about, ...priced, outcome: 'unstored' });
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const entry: CassetteEntry = {
      key: about.key,
      request: about.request,
      response: { status, headers, ...encodeBody(bytes) },
      model: priced.model,
      messageId: priced.messageId,
      usage: tokens,
      costUsd: priced.costUsd,
    };
    let added = true;
    try {
      added = await this.store.add(entry);
    } catch (error) {
      // The entry is held in memory and written at close; only the crash insurance failed.
      this.log.error('cassette journal could not be written', { file: basename(this.file), error: errorCodeOf(error) });
    }
    this.note({ ...about, ...priced, outcome: added ? 'recorded' : 'unstored' });
  }
}

/** A short, safe account of an error: its code or class, never upstream text or URLs. */
function errorCodeOf(error: unknown): string {
  const cause = isRecord(error) && isRecord(error.cause) ? error.cause : undefined;
  const code = (cause?.code ?? (isRecord(error) ? error.code : undefined)) as unknown;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown';
}

/** Opens the cassette (taking in a surviving journal) and starts the recorder on 127.0.0.1. */
export async function startCassetteRecorder(options: CassetteRecorderOptions): Promise<CassetteRecorder> {
  const store = await CassetteStore.open(options.file);
  const recorder = new Recorder(store, options);
  await recorder.listen();
  return recorder;
}
