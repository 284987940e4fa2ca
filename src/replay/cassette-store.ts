/**
 * The cassette file: recorded Messages API answers keyed by request (see cassette-key.ts), as one
 * versioned, human-readable JSON document:
 *
 * ```json
 * {
 *   "format": "cctrader-cassette", "version": 1, "keyVersion": 1,
 *   "about": "...",
 *   "entries": [{
 *     "key": "<sha256 hex of the normalised request>",
 *     "request": { "model": "claude-sonnet-4-5", "messages": 3, "tools": 6, "stream": true, "last": "[tool_result] {...}" },
 *     "response": { "status": 200, "headers": { "content-type": "text/event-stream; charset=utf-8", "request-id": "req_..." },
 *                   "body": "event: message_start\ndata: {...}\n\n...", "bodyEncoding": "utf8" },
 *     "model": "claude-sonnet-4-5", "messageId": "msg_...",
 *     "usage": { "inputTokens": 1200, "outputTokens": 150, "cacheReadTokens": 2000, "cacheWriteTokens": 0 },
 *     "costUsd": "0.00345"
 *   }]
 * }
 * ```
 *
 * `body` is the answer's exact bytes: UTF-8 text (the SSE stream or the JSON message), or base64
 * (`bodyEncoding: "base64"`) when the bytes are not valid UTF-8. `costUsd` is the price when it was
 * recorded, at the prices then configured. Entries keep the order they were recorded in; no
 * timestamps, no request headers (credentials never reach the file).
 *
 * Durability: each recorded entry is appended at once, as one JSON line, to a journal next to the
 * file (`<file>.journal`), before its answer is finished to the client; `save()` writes the whole
 * document to a temporary file and renames it over the cassette (atomic), then removes the journal.
 * Opening a cassette whose journal survived a crash takes the journal's entries in (a torn last line
 * is skipped), so nothing paid for is lost and the next save folds them into the file.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { KEY_VERSION, type RequestSummary } from './cassette-key.js';
import type { TokenCounts } from '../usage/prices.js';

export const CASSETTE_FORMAT = 'cctrader-cassette';
export const CASSETTE_VERSION = 1;

export interface CassetteEntry {
  key: string;
  request: RequestSummary;
  response: {
    status: number;
    /** Only the headers worth replaying (content-type, request-id). */
    headers: Record<string, string>;
    body: string;
    bodyEncoding: 'utf8' | 'base64';
  };
  model: string | null;
  messageId: string | null;
  usage: TokenCounts;
  /** USD, decimal string, at the prices configured when it was recorded. */
  costUsd: string;
}

export interface CassetteDocument {
  format: typeof CASSETTE_FORMAT;
  version: typeof CASSETTE_VERSION;
  keyVersion: number;
  about: string;
  entries: CassetteEntry[];
}

const ABOUT =
  'Recorded Anthropic Messages API answers of a cctrader replay, keyed by the sha256 of the normalised request (README: "Recorded model answers (cassettes)"). Request headers and credentials are never stored.';

const count = z.number().int().nonnegative();
const entrySchema = z.object({
  key: z.string().regex(/^[0-9a-f]{64}$/),
  request: z.object({ model: z.string().nullable(), messages: count, tools: count, stream: z.boolean(), last: z.string() }),
  response: z.object({
    status: z.number().int(),
    headers: z.record(z.string(), z.string()),
    body: z.string(),
    bodyEncoding: z.enum(['utf8', 'base64']),
  }),
  model: z.string().nullable(),
  messageId: z.string().nullable(),
  usage: z.object({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheWriteTokens: count }),
  costUsd: z.string().regex(/^\d+(\.\d+)?$/),
});
const documentSchema = z.object({
  format: z.literal(CASSETTE_FORMAT),
  version: z.number().int(),
  keyVersion: z.number().int(),
  about: z.string().optional(),
  entries: z.array(z.unknown()),
});

/** The answer's bytes as the entry keeps them. */
export function encodeBody(bytes: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { body: text, bodyEncoding: 'utf8' } : { body: bytes.toString('base64'), bodyEncoding: 'base64' };
}

export function decodeBody(entry: CassetteEntry): Buffer {
  return Buffer.from(entry.response.body, entry.response.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

const isMissing = (error: unknown): boolean => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw new AppError('CONFIG', `The cassette ${path} could not be read`, { cause: error });
  }
}

function parseEntry(value: unknown, file: string, where: string): CassetteEntry {
  const parsed = entrySchema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', `The cassette ${file} has a malformed entry (${where})`, { hint: 'restore the file, or record a new cassette' });
  }
  return parsed.data;
}

function parseDocument(text: string, file: string): CassetteEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('INVALID_INPUT', `The cassette ${file} is not JSON`, { hint: 'restore the file, or record a new cassette', cause: error });
  }
  const doc = documentSchema.safeParse(json);
  if (!doc.success) throw new AppError('INVALID_INPUT', `${file} is not a cctrader cassette`, { hint: 'pass the file a replay wrote with --cassette' });
  if (doc.data.version !== CASSETTE_VERSION || doc.data.keyVersion !== KEY_VERSION) {
    throw new AppError(
      'CONFIG',
      `The cassette ${file} is format ${doc.data.version}, key version ${doc.data.keyVersion}; this cctrader reads format ${CASSETTE_VERSION}, key version ${KEY_VERSION}`,
      {
        hint: 'record the replay again into a new cassette',
        details: { version: doc.data.version, keyVersion: doc.data.keyVersion },
      },
    );
  }
  return doc.data.entries.map((e, i) => parseEntry(e, file, `entry ${i + 1}`));
}

/** Journal lines; a torn last line (a crash mid-append) is skipped, a bad line elsewhere refused. */
function parseJournal(text: string, file: string): CassetteEntry[] {
  const lines = text.split('\n');
  const out: CassetteEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      if (i >= lines.length - 2) return;
      throw new AppError('INVALID_INPUT', `The cassette journal ${file}.journal is damaged at line ${i + 1}`, { cause: error });
    }
    out.push(parseEntry(value, `${file}.journal`, `line ${i + 1}`));
  });
  return out;
}

export class CassetteStore {
  private readonly byKey = new Map<string, CassetteEntry>();
  private journalWrites: Promise<void> = Promise.resolve();
  /** Entries not yet in the file itself (recorded, or recovered from a journal). */
  private unsaved = 0;

  private constructor(readonly file: string) {}

  /** The cassette at `file` (empty when the file does not exist), with a surviving journal taken in. */
  static async open(file: string): Promise<CassetteStore> {
    const store = new CassetteStore(file);
    const text = await readOptional(file);
    if (text !== null) for (const entry of parseDocument(text, file)) store.byKey.set(entry.key, entry);
    const journal = await readOptional(store.journalPath);
    if (journal !== null) {
      for (const entry of parseJournal(journal, file)) {
        if (store.byKey.has(entry.key)) continue;
        store.byKey.set(entry.key, entry);
        store.unsaved += 1;
      }
    }
    return store;
  }

  get journalPath(): string {
    return `${this.file}.journal`;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Whether the file lacks entries this store holds. */
  get dirty(): boolean {
    return this.unsaved > 0;
  }

  get(key: string): CassetteEntry | undefined {
    return this.byKey.get(key);
  }

  /** Adds the entry and appends it to the journal; false (nothing written) when its key is already held. */
  async add(entry: CassetteEntry): Promise<boolean> {
    if (this.byKey.has(entry.key)) return false;
    this.byKey.set(entry.key, entry);
    this.unsaved += 1;
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.journalWrites.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await appendFile(this.journalPath, line, 'utf8');
    });
    this.journalWrites = write.catch(() => undefined);
    await write;
    return true;
  }

  /** Writes the whole cassette atomically (temp file, rename), then drops the journal. */
  async save(): Promise<void> {
    await this.journalWrites;
    const doc: CassetteDocument = {
      format: CASSETTE_FORMAT,
      version: CASSETTE_VERSION,
      keyVersion: KEY_VERSION,
      about: ABOUT,
      entries: [...this.byKey.values()],
    };
    const saving = this.unsaved;
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await mkdir(dirname(this.file), { recursive: true });
    try {
      await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, 'utf8');
      await rename(tmp, this.file);
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new AppError('INTERNAL', `The cassette ${this.file} could not be written (its entries are kept in ${this.journalPath})`, { cause: error });
    }
    this.unsaved -= saving;
    // Entries added while saving are in the journal but not in the file: keep the journal then.
    const drop = this.journalWrites.then(async () => {
      if (this.unsaved === 0) await rm(this.journalPath, { force: true });
    });
    this.journalWrites = drop.catch(() => undefined);
    await drop;
  }
}
