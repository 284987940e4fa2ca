#!/usr/bin/env node
// The installed `cctrader` command. It runs the compiled JavaScript in dist/ (built by
// `npm run build`, which `npm ci` / `npm install` run through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('cctrader: dist/ is missing; run `npm run build` in the cctrader checkout first.\n');
  process.exit(1);
}
await import(main);
