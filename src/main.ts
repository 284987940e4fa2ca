/** Process boundary: the only module that reads process.argv / process.env and sets the exit code. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import envPaths from 'env-paths';
import { runCli } from './cli/program.js';

function readDotEnv(cwd: string): Record<string, string> | undefined {
  try {
    return parse(readFileSync(join(cwd, '.env')));
  } catch {
    return undefined;
  }
}

const code = await runCli({
  argv: process.argv,
  env: process.env,
  dotenv: readDotEnv(process.cwd()),
  dataDir: envPaths('cctrader', { suffix: '' }).data,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: Boolean(process.stdout.isTTY),
  onSignal(handler) {
    const listener = (signal: NodeJS.Signals) => handler(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
});
process.exitCode = code;
