/**
 * A loopback fake of the Anthropic Messages API, speaking the wire protocol the Claude Agent SDK's
 * bundled `claude` binary uses: `POST /v1/messages?beta=true` with `stream: true`, answered as
 * server-sent events (message_start, content_block_start/delta/stop, message_delta, message_stop).
 *
 * Scripted per test: a queue of turns, one consumed per model request. A turn is text, one or more
 * tool_use blocks, an HTTP error with Anthropic's error JSON, or a function of the request (bodies
 * carry `<system-reminder>` text and role-system messages, so match on substrings). When the queue
 * is empty the fallback turn answers (plain text by default). Every request is recorded.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export interface FakeToolUse {
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a fresh `toolu_...` id. */
  id?: string;
}

export type FakeTurn =
  /** An assistant message with one text block, stop_reason end_turn. */
  | { kind: 'text'; text: string; usage?: FakeUsage; id?: string }
  /** An assistant message with (optional text then) tool_use blocks, stop_reason tool_use. */
  | { kind: 'tool_use'; tools: FakeToolUse[]; text?: string; usage?: FakeUsage; id?: string }
  /** An HTTP error with Anthropic's error envelope. */
  | { kind: 'error'; status: number; type?: string; message?: string; headers?: Record<string, string> }
  /** Decide from the request. */
  | { kind: 'dynamic'; respond: (request: RecordedRequest) => FakeTurn };

export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/messages?beta=true`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: any;
  /** The raw body text. */
  text: string;
}

export interface FakeAnthropic {
  url: string;
  /** Every request received, in order (including HEAD and unknown paths). */
  requests: RecordedRequest[];
  /** Only the model requests (`POST /v1/messages`). */
  messageRequests(): RecordedRequest[];
  /** Queue turns, answered in order, one per model request. */
  script(...turns: FakeTurn[]): void;
  /** The turn used when the queue is empty. */
  setFallback(turn: FakeTurn): void;
  /** Turns still queued. */
  pending(): number;
  /** Forget recorded requests and queued turns. */
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_USAGE: FakeUsage = { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

export const text = (value: string, usage?: FakeUsage): FakeTurn => ({ kind: 'text', text: value, ...(usage ? { usage } : {}) });

export const toolUse = (name: string, input: Record<string, unknown>, usage?: FakeUsage): FakeTurn => ({
  kind: 'tool_use',
  tools: [{ name, input }],
  ...(usage ? { usage } : {}),
});

export const apiError = (status: number, message?: string, headers?: Record<string, string>): FakeTurn => ({
  kind: 'error',
  status,
  ...(message ? { message } : {}),
  ...(headers ? { headers } : {}),
});

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

/** Flattened text of everything the model was sent: system, messages, tool results. */
export function requestText(request: RecordedRequest): string {
  return JSON.stringify(request.body ?? null);
}

/** The tool results (`tool_result` blocks) in a request's messages, with their text joined. */
export function toolResults(request: RecordedRequest): Array<{ toolUseId: string; isError: boolean; text: string }> {
  const out: Array<{ toolUseId: string; isError: boolean; text: string }> = [];
  for (const message of request.body?.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (block?.type !== 'tool_result') continue;
      const content = block.content;
      const joined = typeof content === 'string' ? content : Array.isArray(content) ? content.map((c: any) => c?.text ?? '').join('') : '';
      out.push({ toolUseId: String(block.tool_use_id), isError: Boolean(block.is_error), text: joined });
    }
  }
  return out;
}

function newId(prefix: string): string {
  return `${prefix}_fake${randomBytes(10).toString('hex')}`;
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Rough token count for count_tokens: about four characters a token. */
function estimateTokens(body: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(body ?? '').length / 4));
}

export async function startFakeAnthropic(options: { apiKey?: string } = {}): Promise<FakeAnthropic> {
  const queue: FakeTurn[] = [];
  let fallback: FakeTurn = { kind: 'text', text: 'No further scripted turns.' };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const resolveTurn = (turn: FakeTurn, request: RecordedRequest): Exclude<FakeTurn, { kind: 'dynamic' }> => {
    let t = turn;
    for (let depth = 0; t.kind === 'dynamic' && depth < 10; depth++) t = t.respond(request);
    if (t.kind === 'dynamic') throw new Error('dynamic turn resolved to another dynamic turn ten times');
    return t;
  };

  const sendError = (res: ServerResponse, status: number, type?: string, message?: string, headers: Record<string, string> = {}): void => {
    const [defaultType, defaultMessage] = ERROR_TYPES[status] ?? ['api_error', 'Error'];
    const requestId = newId('req');
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': requestId,
      'x-should-retry': status >= 500 || status === 429 ? 'true' : 'false',
      ...headers,
    });
    res.end(JSON.stringify({ type: 'error', error: { type: type ?? defaultType, message: message ?? defaultMessage }, request_id: requestId }));
  };

  const answerMessages = (request: RecordedRequest, res: ServerResponse): void => {
    if (options.apiKey !== undefined && request.headers['x-api-key'] !== options.apiKey) {
      sendError(res, 401);
      return;
    }
    const turn = resolveTurn(queue.shift() ?? fallback, request);
    if (turn.kind === 'error') {
      sendError(res, turn.status, turn.type, turn.message, turn.headers);
      return;
    }
    const model = String(request.body?.model ?? 'claude-sonnet-4-5');
    const usage = { ...DEFAULT_USAGE, ...turn.usage };
    const id = turn.id ?? newId('msg');
    const blocks: Array<{ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }> = [];
    if (turn.kind === 'text') blocks.push({ type: 'text', text: turn.text });
    else {
      if (turn.text) blocks.push({ type: 'text', text: turn.text });
      for (const tool of turn.tools) blocks.push({ type: 'tool_use', id: tool.id ?? newId('toolu'), name: tool.name, input: tool.input });
    }
    const stopReason = turn.kind === 'tool_use' ? 'tool_use' : 'end_turn';
    const fullUsage = {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    };
    const headers = { 'request-id': newId('req') };

    if (request.body?.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(
        JSON.stringify({ id, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage: fullUsage }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    sse(res, 'message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...fullUsage, output_tokens: 1 },
      },
    });
    sse(res, 'ping', { type: 'ping' });
    blocks.forEach((block, index) => {
      if (block.type === 'text') {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        // Two deltas, as a real stream splits text.
        const half = Math.ceil(block.text.length / 2);
        for (const piece of [block.text.slice(0, half), block.text.slice(half)]) {
          if (piece) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        }
      } else {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        const json = JSON.stringify(block.input);
        const cut = Math.ceil(json.length / 2);
        for (const piece of [json.slice(0, cut), json.slice(cut)]) {
          sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
        }
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    });
    sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: fullUsage });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  };

  const server = createServer((req, res) => {
    void (async () => {
      const bodyText = await readBody(req);
      let body: any;
      try {
        body = bodyText ? JSON.parse(bodyText) : undefined;
      } catch {
        body = undefined;
      }
      const request: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body, text: bodyText };
      requests.push(request);
      const pathname = new URL(request.path, 'http://fake').pathname;
      if (request.method === 'POST' && pathname === '/v1/messages') {
        if (body === undefined) return sendError(res, 400, 'invalid_request_error', 'body is not JSON');
        return answerMessages(request, res);
      }
      if (request.method === 'POST' && pathname === '/v1/messages/count_tokens') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ input_tokens: estimateTokens(body) }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(request.method === 'HEAD' ? undefined : '{}');
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `fake failed: ${String(error)}` } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messageRequests: () => requests.filter((r) => r.method === 'POST' && new URL(r.path, 'http://fake').pathname === '/v1/messages'),
    script: (...turns) => void queue.push(...turns),
    setFallback: (turn) => void (fallback = turn),
    pending: () => queue.length,
    reset() {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The mover a scan-cycle request is about (the last mover prompt in the conversation), the
 * signal_id it was told to use, and the tool results that came back since. */
export function currentMoverTask(req: RecordedRequest): {
  symbol: string;
  direction: 'gainer' | 'loser';
  signalId: string | null;
  results: ReturnType<typeof toolResults>;
} {
  const messages: Array<{ role: string; content: unknown }> = req.body?.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    const content = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    const match = /Market mover: (\S+) is one of today's top (gainer|loser)s/.exec(content);
    if (m.role !== 'user' || !match) continue;
    const signalId = /Pass signal_id \\?"([^"\\]+)\\?"/.exec(content)?.[1] ?? null;
    return {
      symbol: match[1]!,
      direction: match[2] as 'gainer' | 'loser',
      signalId,
      results: toolResults({ ...req, body: { messages: messages.slice(i + 1) } }),
    };
  }
  throw new Error('no mover prompt in the request');
}

/** The submit_trading_signal call a scripted analyst makes from a technical snapshot: with the
 * alignment (or, when mixed, the move), entry at the snapshot price, the stop one stop distance
 * away and the target 2.5 stop distances away, carrying the mover's signal_id. */
export function submitFromSnapshot(
  task: { symbol: string; direction: 'gainer' | 'loser'; signalId: string | null },
  snap: { alignment?: string; price: number; stopDistance: { price: number } },
  extra: Record<string, unknown> = {},
): FakeToolUse {
  const long = snap.alignment === 'bullish' || (snap.alignment === 'mixed' && task.direction === 'gainer');
  const entry = snap.price;
  const d = snap.stopDistance.price;
  return {
    name: 'mcp__cctrader__submit_trading_signal',
    input: {
      symbol: task.symbol,
      direction: long ? 'long' : 'short',
      confidence: 72,
      entry_price: entry,
      stop_loss: long ? entry - d : entry + d,
      take_profit: long ? entry + 2.5 * d : entry - 2.5 * d,
      analysis: 'Scripted: the snapshot agrees with the move.',
      timeframe: '1h',
      ...extra,
      ...(task.signalId ? { signal_id: task.signalId } : {}),
    },
  };
}
