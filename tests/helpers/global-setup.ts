/** Integration tests spawn the real `bin/cctrader.js`, which runs dist/, and load the chart views
 * from dist/views/: build both once first. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/build-views.mjs', import.meta.url))], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
