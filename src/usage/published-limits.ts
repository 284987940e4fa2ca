/**
 * The rate limits Anthropic publishes (`fetch-limits`): the documentation page at RATE_LIMITS_URL
 * is fetched, its rate-limit tables (HTML `<table>` or markdown `| ... |`) are read, and the rows
 * are stored in `published_rate_limits`, replacing the previous fetch, in one transaction.
 *
 * A table counts when its header names a model column and at least one of requests per minute
 * (RPM), input / output tokens per minute (ITPM / OTPM) or tokens per minute (TPM). A table's tier
 * is a "Tier N" label before it: a heading, a `title="Tier N"` attribute (MDX tabs) or an element
 * whose whole text is "Tier N" (rendered tab buttons, which come as a group before their panels:
 * such a group is handed out to the tables that follow in order), or a Tier column.
 *
 * The page is third-party text: only numbers and short model names leave this module. When the
 * page cannot be fetched or holds no such table, nothing is stored, the previous fetch stays, and
 * the request windows keep the configured CLAUDE_HOURLY_LIMIT / CLAUDE_DAILY_LIMIT (the published
 * figures are per-minute API limits of an account tier; they are shown, never enforced).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ErrorCode } from '../errors.js';
import { writeTransaction } from '../shared/transaction.js';

export interface PublishedLimit {
  tier: string | null;
  model: string;
  requestsPerMinute: number | null;
  inputTokensPerMinute: number | null;
  outputTokensPerMinute: number | null;
  tokensPerMinute: number | null;
}

export interface PublishedLimits {
  url: string;
  /** Epoch ms. */
  fetchedAt: number;
  items: PublishedLimit[];
}

export type FetchLimitsOutcome =
  | ({ ok: true } & PublishedLimits)
  | {
      ok: false;
      url: string;
      code: Extract<ErrorCode, 'UPSTREAM_UNAVAILABLE' | 'TIMEOUT' | 'BAD_RESPONSE'>;
      message: string;
      previous: PublishedLimits | null;
    };

/** Largest page read, bytes. */
const MAX_PAGE = 5 * 1024 * 1024;
const MAX_ROWS = 200;
export const FETCH_LIMITS_TIMEOUT_MS = 15_000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function cellText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<sup\b[\s\S]*?<\/sup>/gi, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      const k = e.toLowerCase();
      if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16));
      if (k.startsWith('#')) return String.fromCodePoint(Number(k.slice(1)));
      return ENTITIES[k] ?? m;
    })
    .replace(/\\([\\`*_{}[\]()#+\-.!|])/g, '$1')
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function htmlRows(table: string): string[][] {
  return [...table.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi)].map((tr) =>
    [...tr[1]!.matchAll(/<t[hd]\b[^>]*>([\s\S]*?)<\/t[hd]>/gi)].map((td) => cellText(td[1]!)),
  );
}

function markdownRows(block: string): string[][] {
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|') && !/^\|[\s:|-]+\|?$/.test(line))
    .map((line) =>
      line
        .replace(/^\|/, '')
        .replace(/\|$/, '')
        .split('|')
        .map((c) => cellText(c)),
    );
}

/** `30,000` → 30000, `4M` → 4000000, `50*` → 50; `-`, `—`, `N/A`, text → null. */
export function parseCount(cell: string): number | null {
  const m = /^\s*(\d{1,3}(?:[,\s]\d{3})+|\d+(?:\.\d+)?)\s*([kKmM])?\b/.exec(cell.replace(/[*†‡]/g, ''));
  if (!m) return null;
  const n = Number(m[1]!.replace(/[,\s]/g, ''));
  const scale = m[2] ? (m[2].toLowerCase() === 'k' ? 1_000 : 1_000_000) : 1;
  const value = Math.round(n * scale);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

interface Columns {
  model: number;
  tier: number;
  rpm: number;
  itpm: number;
  otpm: number;
  tpm: number;
}

function columnsOf(header: string[]): Columns | null {
  const find = (test: (h: string) => boolean) => header.findIndex((h) => test(h.toLowerCase()));
  const cols: Columns = {
    model: find((h) => /\bmodel/.test(h)),
    tier: find((h) => /\btier\b/.test(h)),
    rpm: find((h) => /requests per minute|\brpm\b/.test(h)),
    itpm: find((h) => /input tokens per minute|\bitpm\b/.test(h)),
    otpm: find((h) => /output tokens per minute|\botpm\b/.test(h)),
    tpm: find((h) => /tokens per minute|\btpm\b/.test(h) && !/input|output|\bitpm\b|\botpm\b/.test(h)),
  };
  if (cols.model < 0 || (cols.rpm < 0 && cols.itpm < 0 && cols.otpm < 0 && cols.tpm < 0)) return null;
  return cols;
}

const TIER = /\btier\s*(\d+)\b/i;

function tierLabel(text: string): string | null {
  const m = TIER.exec(text);
  return m ? `Tier ${m[1]}` : null;
}

function modelName(cell: string): string {
  return cell
    .replace(/\[\d+\]/g, '')
    .replace(/[*†‡¹²³⁴⁵⁶⁷⁸⁹⁰]+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
}

type Event = { kind: 'label'; tier: string } | { kind: 'table'; rows: string[][] };

const TOKENS =
  /<table\b[\s\S]*?<\/table>|(?:^[ \t]*\|.*\|[ \t]*(?:\r?\n|$)){2,}|<h[1-6]\b[^>]*>[\s\S]*?<\/h[1-6]>|^#{1,6}[ \t]+.*$|\btitle="[^"]{0,80}"|>\s*Tier\s*\d+\s*</gim;

function events(page: string): Event[] {
  const out: Event[] = [];
  for (const m of page.matchAll(TOKENS)) {
    const t = m[0];
    if (/^<table/i.test(t)) out.push({ kind: 'table', rows: htmlRows(t) });
    else if (/^\s*\|/.test(t)) out.push({ kind: 'table', rows: markdownRows(t) });
    else {
      const tier = tierLabel(cellText(t.replace(/^title="|"$/g, '')));
      if (tier) out.push({ kind: 'label', tier });
    }
  }
  return out;
}

/** The rate-limit rows of a documentation page (HTML or markdown); [] when there are none. */
export function parseRateLimits(page: string): PublishedLimit[] {
  const items: PublishedLimit[] = [];
  let queue: string[] = [];
  let previous: Event['kind'] | null = null;
  for (const e of events(page)) {
    if (e.kind === 'label') {
      if (previous === 'table') queue = [];
      queue.push(e.tier);
      previous = 'label';
      continue;
    }
    previous = 'table';
    const [header, ...body] = e.rows;
    const cols = header ? columnsOf(header) : null;
    if (!cols) continue;
    const tier = queue.length > 1 ? (queue.shift() ?? null) : (queue[0] ?? null);
    const at = (row: string[], i: number) => (i >= 0 ? parseCount(row[i] ?? '') : null);
    for (const row of body) {
      const model = modelName(row[cols.model] ?? '');
      if (!model || !/[a-z]/i.test(model)) continue;
      const item: PublishedLimit = {
        tier: cols.tier >= 0 ? (tierLabel(row[cols.tier] ?? '') ?? tier) : tier,
        model,
        requestsPerMinute: at(row, cols.rpm),
        inputTokensPerMinute: at(row, cols.itpm),
        outputTokensPerMinute: at(row, cols.otpm),
        tokensPerMinute: at(row, cols.tpm),
      };
      if (item.requestsPerMinute === null && item.inputTokensPerMinute === null && item.outputTokensPerMinute === null && item.tokensPerMinute === null)
        continue;
      items.push(item);
      if (items.length >= MAX_ROWS) return items;
    }
  }
  return items;
}

function family(name: string): { family: string; major: number | null; minor: number | null } | null {
  const lower = name.toLowerCase();
  const fam = /\b(opus|sonnet|haiku)\b/.exec(lower.replace(/[-_]/g, ' '))?.[1];
  if (!fam) return null;
  // Version numbers, without 8-digit dates: claude-sonnet-4-5-20250929, claude-3-5-haiku, Claude Sonnet 4.x.
  const nums = [...lower.matchAll(/(?<![\d])(\d{1,2}|x)(?![\d])/g)].map((m) => m[1]!);
  const major = nums[0] !== undefined && nums[0] !== 'x' ? Number(nums[0]) : null;
  const minor = nums[1] !== undefined && nums[1] !== 'x' ? Number(nums[1]) : null;
  return { family: fam, major, minor };
}

/** Whether a published row (e.g. "Claude Sonnet 4.x") covers a model id (e.g. claude-sonnet-4-5). */
export function rowCoversModel(row: string, modelId: string): boolean {
  const r = family(row);
  const m = family(modelId);
  if (!r || !m || r.family !== m.family) return false;
  if (r.major === null) return true;
  if (m.major !== r.major) return false;
  if (r.minor === null) return true;
  return (m.minor ?? 0) === r.minor;
}

export async function readPublishedLimits(db: Kysely<DB>): Promise<PublishedLimits | null> {
  const rows = await db.selectFrom('published_rate_limits').selectAll().orderBy('id').execute();
  if (rows.length === 0) return null;
  return {
    url: rows[0]!.source_url,
    fetchedAt: rows[0]!.fetched_at,
    items: rows.map((r) => ({
      tier: r.tier,
      model: r.model,
      requestsPerMinute: r.requests_per_minute,
      inputTokensPerMinute: r.input_tokens_per_minute,
      outputTokensPerMinute: r.output_tokens_per_minute,
      tokensPerMinute: r.tokens_per_minute,
    })),
  };
}

export async function storePublishedLimits(db: Kysely<DB>, limits: PublishedLimits): Promise<void> {
  await writeTransaction(db, async (tx) => {
    await tx.deleteFrom('published_rate_limits').execute();
    for (const i of limits.items) {
      await tx
        .insertInto('published_rate_limits')
        .values({
          fetched_at: limits.fetchedAt,
          source_url: limits.url,
          tier: i.tier,
          model: i.model,
          requests_per_minute: i.requestsPerMinute,
          input_tokens_per_minute: i.inputTokensPerMinute,
          output_tokens_per_minute: i.outputTokensPerMinute,
          tokens_per_minute: i.tokensPerMinute,
        })
        .execute();
    }
  });
}

function describeFailure(error: unknown): { code: 'UPSTREAM_UNAVAILABLE' | 'TIMEOUT'; why: string } {
  const e = error as { name?: string; cause?: { code?: string } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { code: 'TIMEOUT', why: 'no answer in time' };
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : null;
  return { code: 'UPSTREAM_UNAVAILABLE', why: code ? `unreachable: ${code}` : 'unreachable' };
}

/** Fetch, parse and store the published limits. Never throws for a bad page or a dead host. */
export async function fetchPublishedLimits(
  deps: { db: Kysely<DB>; clock: { now(): number } },
  url: string,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<FetchLimitsOutcome> {
  const previous = await readPublishedLimits(deps.db);
  const fail = (code: 'UPSTREAM_UNAVAILABLE' | 'TIMEOUT' | 'BAD_RESPONSE', message: string): FetchLimitsOutcome => ({
    ok: false,
    url,
    code,
    message,
    previous,
  });
  let page: string;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? FETCH_LIMITS_TIMEOUT_MS),
      headers: { accept: 'text/html, text/markdown;q=0.9, text/plain;q=0.8, */*;q=0.5', 'user-agent': 'cctrader fetch-limits' },
      redirect: 'follow',
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return fail('UPSTREAM_UNAVAILABLE', `the rate-limits page answered HTTP ${response.status}`);
    }
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > MAX_PAGE) {
      await response.body?.cancel().catch(() => undefined);
      return fail('BAD_RESPONSE', `the rate-limits page is larger than ${MAX_PAGE / 1024 / 1024} MB`);
    }
    page = await response.text();
  } catch (error) {
    const f = describeFailure(error);
    return fail(f.code, `the rate-limits page could not be fetched (${f.why})`);
  }
  if (page.length > MAX_PAGE) return fail('BAD_RESPONSE', `the rate-limits page is larger than ${MAX_PAGE / 1024 / 1024} MB`);
  const items = parseRateLimits(page);
  if (items.length === 0) return fail('BAD_RESPONSE', 'the page holds no rate-limit table we can read (a model column with requests or tokens per minute)');
  const limits: PublishedLimits = { url, fetchedAt: deps.clock.now(), items };
  await storePublishedLimits(deps.db, limits);
  return { ok: true, ...limits };
}
