/**
 * The key of a model request in a cassette: the sha256 of the request body with the fields that
 * vary between two identical runs taken out, serialised canonically (object keys sorted), so the
 * same conversation gets the same key in any process, any working directory, any day.
 *
 * Found by diffing the `POST /v1/messages` bodies of the real Claude Agent SDK (`claude` 2.1.330,
 * agent SDK 0.3.330) on the same scripted task: two runs in one process, runs in two processes,
 * runs in fresh and in git-worktree CLAUDE_CONFIG_DIR / cwd, a resumed session. What differed, and
 * what the key does with it (KEY_VERSION 1):
 *
 * - `metadata.user_id`: a JSON string `{device_id, account_uuid, session_id}`; `session_id` is new
 *   on every run, `device_id` is created at random in a fresh CLAUDE_CONFIG_DIR. `metadata` is
 *   dropped (it carries nothing else and never reaches the model).
 * - The `# Environment` system-reminder in the first user message: the working directory, whether
 *   it is a git repository (plus extra lines about worktrees and the stash when it is one), the
 *   platform, the shell (and login shell) and the OS kernel version. Its whole content becomes
 *   `# Environment\n<environment>`: it describes the machine of the `claude` process, not the market.
 * - `Today's date is YYYY-MM-DD.` (a system-reminder, the wall-clock date of the run, not the
 *   replay's): the date becomes `<date>`; so does the binary's other form `The UTC date is ...`.
 *   The binary also appends `The date has changed. Today's date is now ...` when a session crosses
 *   midnight; that reminder is removed with the whitespace before it (and a text block left empty by
 *   that is dropped). These two forms are read from the binary, not seen in a run.
 * - `USD budget: $spent/$cap; $left remaining` (a system-reminder after the prompt and after each
 *   tool result): the cap is the run's `maxBudgetUsd`, which the desk derives from the room left
 *   under the live daily and cycle caps, so it differs between a paying run and its free re-run.
 *   The line becomes `USD budget: <budget>`.
 * - `cache_control` markers are dropped wherever they are. They did not differ between identical
 *   runs, but they move with the binary's caching settings and cannot change the answer.
 * - The first system block, `x-anthropic-billing-header: cc_version=<version>.<fingerprint>;
 *   cc_entrypoint=sdk-ts;`, is kept: the fingerprint is derived from the first prompt and the
 *   version is the binary's (an SDK upgrade that changes it is a different client; re-record).
 *   Per-request ids the binary adds to it only for first-party hosts (`cch`, `cc_prev_req`,
 *   `cc_prompt_id`, `cc_prev_msg`; never sent to our loopback recorder) become `<id>`.
 *
 * Kept as sent: model, system prompt text, every message and tool result (tool_use ids come from
 * the recorded answers, so they repeat), tool definitions, max_tokens, thinking, temperature,
 * context_management, stream, and the other system-reminders (model, MCP server instructions,
 * tokens left). Headers are not part of the key; those that differ per run are
 * `x-claude-code-session-id`, `host` and `x-stainless-retry-count`.
 */
import { createHash } from 'node:crypto';

/** Version of the normalisation below. A cassette keyed by another version is refused. */
export const KEY_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const REMINDER = /(\s*)<system-reminder>([\s\S]*?)<\/system-reminder>/g;
const DATE = /(Today's date is(?: now)?|The UTC date is) \d{4}-\d{2}-\d{2}/g;
const BUDGET = /USD budget: [^\n]*/g;
const BILLING_IDS = /\b(cch|cc_prev_req|cc_prompt_id|cc_prev_msg)=[^;]*;/g;

/** The reminder's new content, or null to remove it. */
function normaliseReminder(inner: string): string | null {
  if (/^\s*# Environment\n/.test(inner)) return '\n# Environment\n<environment>\n';
  if (/The date has changed\./.test(inner)) return null;
  return inner.replace(DATE, '$1 <date>').replace(BUDGET, 'USD budget: <budget>');
}

/** A text the model reads, with the volatile parts of its system-reminders replaced. */
export function normaliseText(text: string): string {
  let out = text.replace(REMINDER, (_all, space: string, inner: string) => {
    const n = normaliseReminder(inner);
    return n === null ? '' : `${space}<system-reminder>${n}</system-reminder>`;
  });
  if (out.startsWith('x-anthropic-billing-header:')) out = out.replace(BILLING_IDS, '$1=<id>;');
  return out;
}

/** Drops `cache_control` everywhere; normalises strings when `text` (inside system and messages). */
function walk(value: unknown, text: boolean): Json | undefined {
  if (typeof value === 'string') return text ? normaliseText(value) : value;
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const n = walk(item, text);
      // A text block that held nothing but a removed reminder goes with it.
      const emptied =
        isRecord(item) &&
        item.type === 'text' &&
        typeof item.text === 'string' &&
        item.text.trim() !== '' &&
        isRecord(n) &&
        typeof n.text === 'string' &&
        n.text.trim() === '';
      if (n !== undefined && !emptied) out.push(n);
    }
    return out;
  }
  if (isRecord(value)) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'cache_control') continue;
      const n = walk(v, text);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return undefined;
}

/** The request as the key sees it: `metadata` dropped, volatile text normalised (see above). */
export function normaliseRequest(body: unknown): Json {
  if (!isRecord(body)) return walk(body, false) ?? null;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'metadata') continue;
    const n = walk(v, k === 'system' || k === 'messages');
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/** JSON with object keys sorted at every level: the same value, the same text. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The cassette key of a Messages API request body (parsed JSON): 64 hex digits. */
export function requestKey(body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(normaliseRequest(body)))
    .digest('hex');
}

/** What a cassette entry says about its request, for a human reading the file or a miss. */
export interface RequestSummary {
  model: string | null;
  /** Messages in the conversation so far. */
  messages: number;
  /** Tools offered. */
  tools: number;
  stream: boolean;
  /** The last user message without system-reminders (its text, or its tool results), cut short. */
  last: string;
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const visible = (s: string): string => s.replace(REMINDER, '').replace(/\s+/g, ' ').trim();

function blockText(block: unknown): string {
  if (typeof block === 'string') return visible(block);
  if (!isRecord(block)) return '';
  if (block.type === 'text' && typeof block.text === 'string') return visible(block.text);
  if (block.type === 'tool_result') {
    const content = Array.isArray(block.content) ? block.content.map(blockText).join(' ') : blockText(block.content);
    return `[tool_result${block.is_error === true ? ' error' : ''}] ${cut(content, 120)}`;
  }
  return '';
}

export function summariseRequest(body: unknown): RequestSummary {
  const b = isRecord(body) ? body : {};
  const messages = Array.isArray(b.messages) ? b.messages : [];
  const lastUser = [...messages].reverse().find((m) => isRecord(m) && m.role === 'user');
  const content = isRecord(lastUser) ? lastUser.content : undefined;
  const parts = (Array.isArray(content) ? content.map(blockText) : [blockText(content)]).filter((s) => s !== '');
  return {
    model: typeof b.model === 'string' ? b.model : null,
    messages: messages.length,
    tools: Array.isArray(b.tools) ? b.tools.length : 0,
    stream: b.stream === true,
    last: cut(parts.join(' | '), 300),
  };
}
