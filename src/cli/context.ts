/** What every CLI command receives: the process boundary's I/O (from main.ts), configuration
 * loading with the command-line flags applied, and a way to run with the desk's dependencies. */
import type { Readable, Writable } from 'node:stream';
import type { AppHandle } from '../app.js';
import { loadConfig, type Config } from '../config.js';

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
  /** Build the real dependencies (the caller closes them). */
  openApp(config: Config): Promise<AppHandle>;
  /** Build the real dependencies, run, and always close them. */
  withApp<T>(config: Config, fn: (app: AppHandle) => Promise<T>): Promise<T>;
  /** Write one line to stdout. */
  out(text: string): void;
  /** Write one line to stderr. */
  err(text: string): void;
  /** Print exactly one JSON document on stdout. */
  json(value: unknown): void;
}

export function createCliContext(io: CliIO, globalFlags: () => Record<string, string | undefined>): CliContext {
  return {
    io,
    config(flags = {}) {
      return loadConfig({
        file: io.dotenv,
        env: io.env,
        flags: { ...globalFlags(), ...flags },
        defaults: { dbPath: `${io.dataDir}/cctrader.db` },
      });
    },
    async openApp(config) {
      // The composition root pulls in the database and every feature: loaded when a command needs it.
      const { createDeps } = await import('../app.js');
      return createDeps(config, { writeLog: (line) => io.stderr.write(line) });
    },
    async withApp(config, fn) {
      const app = await this.openApp(config);
      try {
        return await fn(app);
      } finally {
        await app.close();
      }
    },
    out: (text) => void io.stdout.write(text + '\n'),
    err: (text) => void io.stderr.write(text + '\n'),
    json: (value) => void io.stdout.write(JSON.stringify(value, null, 2) + '\n'),
  };
}
