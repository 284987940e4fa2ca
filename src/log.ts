/** JSON-lines logger. It writes to a sink that is stderr in production: in stdio mode stdout
 * belongs to JSON-RPC. Every line passes a redaction filter that removes known secret values. */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Receives one complete line (with trailing newline) per call. */
  write: (line: string) => void;
  /** Secret values that must never appear in a log line. Values shorter than 4 chars are ignored. */
  secrets?: readonly string[];
  now?: () => number;
  /** Also hands each record, redacted, to the feed's listeners (MCP clients' notifications/message). */
  feed?: LogFeed;
}

/** A level a record is written at. */
export type RecordLevel = Exclude<LogLevel, 'silent'>;

/** One log record as written to stderr: `t`, `level`, `msg` and the fields, redacted. */
export type LogRecord = Record<string, unknown> & { t: string; level: RecordLevel; msg: string };

/**
 * The log records as they are written, for listeners that want them at their own level (an MCP
 * client that called logging/setLevel): a listener may ask for more detail than stderr shows.
 */
export class LogFeed {
  private readonly listeners = new Set<{ rank: number; fn: (record: LogRecord) => void }>();

  /** The most detailed level any listener wants (none: nothing is handed on). */
  minRank(): number {
    let min = Infinity;
    for (const l of this.listeners) min = Math.min(min, l.rank);
    return min;
  }

  subscribe(level: LogLevel, fn: (record: LogRecord) => void): () => void {
    const entry = { rank: RANK[level], fn };
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  publish(record: LogRecord): void {
    const rank = RANK[record.level];
    for (const l of this.listeners) {
      if (rank < l.rank) continue;
      try {
        l.fn(record);
      } catch {
        // A listener's failure (a closed connection) never reaches the code that logged.
      }
    }
  }
}

export function createRedactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  if (values.length === 0) return (text) => text;
  // Case-insensitive: a secret echoed back upper-cased (a symbol lookup does that) is still a secret.
  const pattern = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  return (text) => text.replace(pattern, '[REDACTED]');
}

export function createLogger(options: LoggerOptions, base: Record<string, unknown> = {}): Logger {
  const redact = createRedactor(options.secrets ?? []);
  const now = options.now ?? Date.now;
  const feed = options.feed;
  const emit = (level: RecordLevel, msg: string, fields?: Record<string, unknown>): void => {
    const toSink = RANK[level] >= RANK[options.level];
    const toFeed = feed !== undefined && RANK[level] >= feed.minRank();
    if (!toSink && !toFeed) return;
    const record: Record<string, unknown> = { t: new Date(now()).toISOString(), level, msg, ...base, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record, errorReplacer);
    } catch {
      line = JSON.stringify({ t: record.t, level, msg });
    }
    const redacted = redact(line);
    if (toSink) options.write(redacted + '\n');
    if (toFeed) feed.publish(JSON.parse(redacted) as LogRecord);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} });
