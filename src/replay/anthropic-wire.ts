/**
 * What the recorder reads of the Anthropic Messages API wire: the usage of an answer (a JSON
 * message, or a server-sent event stream: `message_start` carries the id, the model and the
 * opening usage, `message_delta` the final counts, `message_stop` ends a complete message), and
 * the error envelope it answers with itself.
 */
import type { TokenCounts } from '../usage/prices.js';

export interface AnswerUsage {
  /** Message id (`msg_...`), null when the answer named none. */
  messageId: string | null;
  model: string | null;
  tokens: TokenCounts;
  /** True for a whole message: a JSON message, or a stream that reached `message_stop` with no `error` event. */
  complete: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.trunc(v) : undefined);

/** Later figures replace earlier ones field by field (message_delta's usage is cumulative). */
function applyUsage(tokens: TokenCounts, usage: unknown): TokenCounts {
  if (!isRecord(usage)) return tokens;
  return {
    inputTokens: count(usage.input_tokens) ?? tokens.inputTokens,
    outputTokens: count(usage.output_tokens) ?? tokens.outputTokens,
    cacheReadTokens: count(usage.cache_read_input_tokens) ?? tokens.cacheReadTokens,
    cacheWriteTokens: count(usage.cache_creation_input_tokens) ?? tokens.cacheWriteTokens,
  };
}

const NO_TOKENS: TokenCounts = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** The JSON payloads of a server-sent event stream, in order (unparseable events skipped). */
export function sseEvents(text: string): unknown[] {
  const out: unknown[] = [];
  for (const raw of text.split(/\r?\n\r?\n/)) {
    const data = raw
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data) continue;
    try {
      out.push(JSON.parse(data));
    } catch {
      // not JSON: not ours to read
    }
  }
  return out;
}

/** The usage of a Messages API answer; null when the body is neither a message nor a message stream. */
export function answerUsage(body: string, contentType: string): AnswerUsage | null {
  if (/text\/event-stream/i.test(contentType)) return streamUsage(sseEvents(body));
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || parsed.type !== 'message') return null;
  return {
    messageId: typeof parsed.id === 'string' ? parsed.id : null,
    model: typeof parsed.model === 'string' ? parsed.model : null,
    tokens: applyUsage(NO_TOKENS, parsed.usage),
    complete: true,
  };
}

function streamUsage(events: unknown[]): AnswerUsage | null {
  let started = false;
  let messageId: string | null = null;
  let model: string | null = null;
  let tokens = NO_TOKENS;
  let stopped = false;
  let failed = false;
  for (const event of events) {
    if (!isRecord(event)) continue;
    if (event.type === 'message_start' && isRecord(event.message)) {
      started = true;
      messageId = typeof event.message.id === 'string' ? event.message.id : null;
      model = typeof event.message.model === 'string' ? event.message.model : null;
      tokens = applyUsage(tokens, event.message.usage);
    } else if (event.type === 'message_delta') {
      tokens = applyUsage(tokens, event.usage);
    } else if (event.type === 'message_stop') {
      stopped = true;
    } else if (event.type === 'error') {
      failed = true;
    }
  }
  if (!started) return null;
  return { messageId, model, tokens, complete: stopped && !failed };
}

/** Anthropic's error envelope, as the `claude` binary expects an error answer. */
export function errorEnvelope(type: string, message: string, errorCode?: string): string {
  return JSON.stringify({ type: 'error', error: { type, message, ...(errorCode ? { details: { error_code: errorCode } } : {}) }, request_id: null });
}
