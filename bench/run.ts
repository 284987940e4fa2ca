/** `npm run bench`: every benchmark, one table. Results are ratios and goals, never test assertions. */
import { cpus, totalmem } from 'node:os';
import { benchAnalysis } from './analysis.js';
import { benchPriceLatency } from './price-latency.js';
import { benchReplay } from './replay.js';
import { benchScanner } from './scanner.js';
import { benchTrading } from './trading.js';
import { printTable, type BenchResult } from './types.js';

const suites: Array<[string, () => Promise<BenchResult[]>]> = [
  ['market data', () => benchPriceLatency()],
  ['analysis', () => benchAnalysis()],
  ['paper trading', () => benchTrading()],
  ['scanner', () => benchScanner()],
  ['replay', () => benchReplay()],
];

const rows: BenchResult[] = [];
for (const [name, run] of suites) {
  process.stderr.write(`running ${name}…\n`);
  rows.push(...(await run()));
}
process.stdout.write(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB\n\n`);
printTable(rows, (s) => process.stdout.write(s));
