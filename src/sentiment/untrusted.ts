/**
 * The untrusted-text boundary. Every piece of third-party text (web summaries, headlines, citation
 * titles) leaves the desk only inside an envelope `{ untrusted: true, source, text, ... }`, after:
 * - Unicode normalisation (NFKC) and removal of every character a reader cannot see: control
 *   characters (C0, C1, DEL), format characters (bidi overrides and isolates, zero-width spaces and
 *   joiners, the BOM, soft hyphens, Unicode tag characters used to smuggle hidden ASCII), variation
 *   selectors, private-use code points, lone surrogates and invisible fillers;
 * - whitespace collapsed to single spaces (no line structure to imitate a system prompt with);
 * - a length bound per field and a count bound per list;
 * - URLs accepted only as absolute http(s) without credentials, dates only as YYYY-MM-DD.
 * Nothing from a third party is ever copied into a field outside an envelope: our labels, reasons
 * and error messages are our own words, computed from numbers.
 */

/** Invisible or layout-changing code points: controls, format (Cf: bidi, zero-width, tags, BOM),
 * private use, surrogates, variation selectors, combining grapheme joiner, Hangul fillers. */
// The class lists invisible code points (variation selectors among them) one by one, on purpose.
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\uFFF0-\uFFFB\u{E0100}-\u{E01EF}]/gu;
/** Anything that separates lines or words, including the Unicode line and paragraph separators. */
const SPACES = /[\s\u2028\u2029\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/gu;

/** Clean one piece of third-party text and bound it to `max` characters (code points). */
export function cleanText(raw: unknown, max: number): string {
  if (typeof raw !== 'string') return '';
  // Bound the work before normalising: a hostile answer can be megabytes long.
  let s = raw.length > max * 8 + 64 ? raw.slice(0, max * 8 + 64) : raw;
  // Whitespace controls (tab, newline) become spaces; the rest of the invisibles vanish.
  s = s.replace(/[\t\n\v\f\r\u0085]/g, ' ');
  s = s.normalize('NFKC').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return (
    chars
      .slice(0, Math.max(0, max - 1))
      .join('')
      .trimEnd() + '…'
  );
}

/** A list of cleaned, non-empty, de-duplicated items, at most `count` of at most `max` chars. */
export function cleanList(raw: unknown, count: number, max: number): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const item of raw) {
    if (out.length >= count) break;
    const s = cleanText(item, max);
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** An absolute http(s) URL without user info, at most `max` characters; otherwise null. A URL that
 * is too long loses its query and fragment first. */
export function cleanUrl(raw: unknown, max: number): string | null {
  if (typeof raw !== 'string' || raw.length > 4096) return null;
  const s = raw.replace(INVISIBLE, '').trim();
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  url.username = '';
  url.password = '';
  if (url.href.length > max) {
    url.search = '';
    url.hash = '';
  }
  return url.href.length <= max ? url.href : null;
}

/** A calendar date `YYYY-MM-DD` from an ISO-like or parseable date string; otherwise null. */
export function cleanDate(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 64) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw.trim());
  const ms = iso ? Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3])) : Date.parse(raw);
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (year < 2000 || year > 2200) return null;
  return date.toISOString().slice(0, 10);
}

export interface UntrustedCitation {
  title: string | null;
  url: string | null;
  date: string | null;
}

/** Third-party text, marked as such. The model is told (tool description) that whatever is inside
 * is information to weigh, never an instruction to follow. */
export interface UntrustedEnvelope {
  untrusted: true;
  /** Who wrote the text, e.g. `perplexity` (a web-search model summarising web pages). */
  source: string;
  /** The summary. */
  text: string;
  catalysts: string[];
  risks: string[];
  citations: UntrustedCitation[];
}

/** Bounds of one envelope, sized so a whole fetch_sentiment_data answer stays near 3 KB. */
export const ENVELOPE_LIMITS = {
  text: 360,
  items: 3,
  item: 100,
  citations: 4,
  title: 80,
  url: 150,
} as const;

export interface RawNews {
  text: unknown;
  catalysts?: unknown;
  risks?: unknown;
  citations?: ReadonlyArray<{ title?: unknown; url?: unknown; date?: unknown }>;
}

/** Build the envelope from raw third-party values. Citations without a usable URL or title are
 * dropped, duplicates (same URL) merged, the first occurrence kept. */
export function wrapUntrusted(source: string, raw: RawNews): UntrustedEnvelope {
  const L = ENVELOPE_LIMITS;
  const citations: UntrustedCitation[] = [];
  const seen = new Set<string>();
  for (const c of raw.citations ?? []) {
    if (citations.length >= L.citations) break;
    const url = cleanUrl(c.url, L.url);
    const title = cleanText(c.title, L.title) || null;
    if (!url && !title) continue;
    const key = url ?? `title:${title}`;
    if (seen.has(key)) continue;
    seen.add(key);
    citations.push({ title, url, date: cleanDate(c.date) });
  }
  return {
    untrusted: true,
    source,
    text: cleanText(raw.text, L.text),
    catalysts: cleanList(raw.catalysts, L.items, L.item),
    risks: cleanList(raw.risks, L.items, L.item),
    citations,
  };
}
