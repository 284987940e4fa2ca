/** What every CLI command receives: the process boundary's I/O (from main.ts), configuration
 * loading with the command-line flags applied, and a way to run with the desk's dependencies. */
import type { Readable, Writable } from 'node:stream';
import type { AppHandle } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import type { Clock } from '../shared/clock.js';
import type { ErrorCode } from '../errors.js';

export interface CliIO {
  argv: string[];
  env: Record<string, string | undefined>;
  /** Parsed `.env` of the working directory, when there is one. */
  dotenv: Record<string, string> | undefined;
  /** Per-user data directory; DB_PATH defaults to a file in it. */
  dataDir: string;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  isTTY: boolean;
  /** Subscribe to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

export interface CliContext {
  io: CliIO;
  /** Configuration from defaults, .env, environment and these flags (setting name → value). */
  config(flags?: Record<string, string | undefined>): Config;
  /** Build the real dependencies (the caller closes them); `clock` replaces the system clock (the demo's frozen market). */
  openApp(config: Config, options?: { clock?: Clock }): Promise<AppHandle>;
  /** Build the real dependencies, run, and always close them. */
  withApp<T>(config: Config, fn: (app: AppHandle) => Promise<T>, options?: { clock?: Clock }): Promise<T>;
  /** Write one line to stdout. */
  out(text: string): void;
  /** Write one line to stderr. */
  err(text: string): void;
  /** Print exactly one JSON document on stdout. */
  json(value: unknown): void;
  /** The command's job failed (its output already says how): the process exits non-zero (2 for CONFIG). */
  fail(code: ErrorCode | string): void;
  /** The exit code so far: 0 unless `fail` was called. */
  readonly exitCode: number;
  /** The database file of the last configuration loaded (to name it in errors). */
  readonly dbPath: string | undefined;
  /** Whether a JSON document was printed (then a later failure adds none: stdout holds one). */
  readonly printedJson: boolean;
}

export function createCliContext(io: CliIO, globalFlags: () => Record<string, string | undefined>): CliContext {
  let exitCode = 0;
  let dbPath: string | undefined;
  let printedJson = false;
  return {
    get printedJson() {
      return printedJson;
    },
    get dbPath() {
      return dbPath;
    },
    io,
    fail(code) {
      exitCode = Math.max(exitCode, code === 'CONFIG' ? 2 : 1);
    },
    get exitCode() {
      return exitCode;
    },
    config(flags = {}) {
      const config = loadConfig({
        file: io.dotenv,
        env: io.env,
        flags: { ...globalFlags(), ...flags },
        defaults: { dbPath: `${io.dataDir}/cctrader.db` },
      });
      dbPath = config.DB_PATH;
      return config;
    },
    async openApp(config, options = {}) {
      // The composition root pulls in the database and every feature: loaded when a command needs it.
      const { createDeps } = await import('../app.js');
      return createDeps(config, { writeLog: (line) => io.stderr.write(line), agentEnv: io.env, ...(options.clock ? { clock: options.clock } : {}) });
    },
    async withApp(config, fn, options) {
      const app = await this.openApp(config, options);
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
    out: (text) => void io.stdout.write(text + '\n'),
    err: (text) => void io.stderr.write(text + '\n'),
    json: (value) => {
      printedJson = true;
      io.stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
  };
}
