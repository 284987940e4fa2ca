/** Running the CLI in-process through runCli, with captured stdout and stderr. */
import { tmpdir } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import { runCli } from '../../src/cli/program.js';

export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(args: string[], env: Record<string, string>, options: { tty?: boolean; input?: string } = {}): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  if (options.input !== undefined) stdin.end(options.input);
  const code = await runCli({
    argv: ['node', 'cctrader', ...args],
    env,
    dotenv: undefined,
    dataDir: tmpdir(),
    stdin,
    stdout,
    stderr,
    isTTY: options.tty ?? false,
    onSignal: () => () => {},
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
