import { dirname } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { renderComparison, renderReplayList, renderReplayReport } from '../render/replay.js';

interface RunOptions {
  from?: string;
  to?: string;
  every: string;
  analyst?: string;
  symbols?: string;
  maxMovers?: string;
  threshold?: string;
  balance?: string;
  cassette?: string;
  record?: boolean;
  maxSpend?: string;
  json?: boolean;
}

const SPAN = /^(\d{1,5})([mhd])$/;
const UNIT = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO date or time, `now`, or a span back from now (`30d`, `12h`). */
export function parseTime(text: string | undefined, now: number, flag: string): number {
  if (text === undefined || text === 'now') return Math.floor(now / 60_000) * 60_000;
  const span = SPAN.exec(text.trim());
  if (span) return Math.floor((now - Number(span[1]) * UNIT[span[2] as keyof typeof UNIT]) / 60_000) * 60_000;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(/T|Z|[+-]\d\d:?\d\d$/.test(text.slice(10)) ? text : `${text}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms))
    throw new AppError('INVALID_INPUT', `${flag} is an ISO date or time, \`now\`, or a span back from now like 30d (got ${JSON.stringify(text.slice(0, 40))})`);
  return ms;
}

export function parseEvery(text: string): number {
  const span = SPAN.exec(text.trim());
  if (!span) throw new AppError('INVALID_INPUT', `--every is a step like 15m, 1h, 4h or 1d (got ${JSON.stringify(text.slice(0, 20))})`);
  return Number(span[1]) * UNIT[span[2] as keyof typeof UNIT];
}

const numberOf = (text: string | undefined, flag: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new AppError('INVALID_INPUT', `${flag} must be a positive number, got ${text}`);
  return n;
};

const symbolsOf = (text: string | undefined): string[] | undefined =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A progress writer: a live line on a terminal, a line every 10% otherwise. */
function progressWriter(ctx: CliContext): { line(text: string, fraction: number): void; clear(): void } {
  let lastTenth = -1;
  let live = false;
  return {
    line(text, fraction) {
      if (ctx.io.isTTY) {
        ctx.io.stderr.write(`\r\x1b[2K${text}`);
        live = true;
      } else if (Math.floor(fraction * 10) > lastTenth || fraction >= 1) {
        lastTenth = Math.floor(fraction * 10);
        ctx.err(text);
      }
    },
    clear() {
      if (live) ctx.io.stderr.write('\r\x1b[2K');
      live = false;
      lastTenth = -1;
    },
  };
}

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/** `cctrader replay`: run the desk over the window and print (or store and print) its report. */
async function replayCommand(ctx: CliContext, opts: RunOptions): Promise<void> {
  const config = ctx.config({ MAX_MOVERS: opts.maxMovers, MOVERS_THRESHOLD_PCT: opts.threshold });
  if (!opts.from) throw new AppError('INVALID_INPUT', '--from is required', { hint: 'e.g. cctrader replay --from 30d --every 1h' });
  const analyst = opts.analyst ?? (opts.cassette || opts.record ? 'claude' : 'rules');
  if (analyst !== 'rules' && analyst !== 'claude') throw new AppError('INVALID_INPUT', '--analyst is rules or claude');
  await ctx.withApp(config, async (app) => {
    const { runReplay } = await import('../../replay/run.js');
    const now = app.deps.clock.now();
    const dataDir = config.DB_PATH && config.DB_PATH !== ':memory:' ? dirname(config.DB_PATH) : null;
    const stop = new AbortController();
    const off = ctx.io.onSignal(() => {
      stop.abort();
      ctx.err('stopping after the step in flight: the report covers the steps run');
    });
    const progress = progressWriter(ctx);
    try {
      const { report, history } = await runReplay(
        {
          live: app.deps,
          history: app.history,
          dataDir,
          log: app.replayLog,
          analyst: app.replayAnalysts({
            cassette: opts.cassette,
            record: Boolean(opts.record),
            maxSpendUsd: numberOf(opts.maxSpend, '--max-spend') ?? null,
            dataDir,
          }),
          onHistory: (p) => progress.line(`history ${p.done}/${p.total} requests (${p.symbol} ${p.kind})`, p.total ? p.done / p.total : 1),
          onProgress: (p) =>
            progress.line(
              `replay ${p.done}/${p.total} cycles at ${p.at.slice(0, 16)}Z, equity ${p.equity.toFixed(2)}, ETA ${seconds(p.etaMs)}`,
              p.done / p.total,
            ),
          signal: stop.signal,
        },
        {
          from: parseTime(opts.from, now, '--from'),
          to: parseTime(opts.to, now, '--to'),
          everyMs: parseEvery(opts.every),
          analyst,
          symbols: symbolsOf(opts.symbols),
          maxMovers: config.MAX_MOVERS,
          thresholdPct: config.MOVERS_THRESHOLD_PCT,
          balance: numberOf(opts.balance, '--balance'),
        },
      );
      progress.clear();
      if (!opts.json) ctx.err(`history: ${history.requests} exchange requests (${history.requests ? 'downloaded now' : 'all stored already'})`);
      if (opts.json) return ctx.json(report);
      ctx.out(renderReplayReport(report));
    } finally {
      progress.clear();
      off();
    }
  });
}

export function registerReplay(program: Command, ctx: CliContext): void {
  const replay = program
    .command('replay')
    .description('run the desk over past market data, point-in-time, and report what it would have made (subcommands: list, show, compare)')
    .option('--from <time>', 'start: ISO date/time or a span back from now (30d)')
    .option('--to <time>', 'end: ISO date/time, a span back from now, or now (default now)')
    .option('--every <step>', 'a scan cycle every 15m, 1h, 4h, 1d', '1h')
    .option('--analyst <kind>', 'rules (default) or claude (answers from a cassette, or --record)')
    .option('--symbols <list>', 'comma-separated symbols (default: the REPLAY_UNIVERSE most traded now)')
    .option('--max-movers <n>', 'movers analysed per cycle (MAX_MOVERS)')
    .option('--threshold <pct>', 'least 24h move (MOVERS_THRESHOLD_PCT)')
    .option('--balance <usdt>', 'starting balance of the replay portfolio (PAPER_STARTING_BALANCE)')
    .option('--cassette <file>', 'recorded model answers (Claude): replayed free; default one per replay')
    .option('--record', 'send model requests missing from the cassette to the API and add them (real spend)')
    .option('--max-spend <usd>', 'stop starting analyses once the replay has spent this much (with --record)')
    .option('--json', 'print the report as one JSON document')
    .action((opts: RunOptions) => replayCommand(ctx, opts));
  registerReplayViews(replay, ctx);
}

/** list, show and compare: the replays already stored. */
function registerReplayViews(replay: Command, ctx: CliContext): void {
  replay
    .command('list')
    .description('the replays run on this database, newest first')
    .option('--json', 'print one JSON document')
    .action(async (_opts: { json?: boolean }, cmd: Command) => {
      // `replay` has a --json of its own: read it from either level.
      const opts = cmd.optsWithGlobals<{ json?: boolean }>();
      const { listRuns } = await import('../../replay/runs.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const items = await listRuns(deps.db);
        if (opts.json) return ctx.json({ items });
        if (items.length === 0) return ctx.out('no replays yet: `cctrader replay --from 30d` runs one');
        ctx.out(renderReplayList(items));
      });
    });

  replay
    .command('show <id>')
    .description('the report of one replay (`latest` for the newest)')
    .option('--json', 'print one JSON document')
    .option('--html <file>', 'also write the equity against buy-and-hold and the trades on the price as a self-contained HTML page')
    .action(async (id: string, _opts: { json?: boolean; html?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ json?: boolean; html?: string }>();
      const { loadReport } = await import('../../replay/runs.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const report = await loadReport(deps.db, id === 'latest' ? undefined : id);
        if (opts.html) {
          const [{ replayChart }, { writeHtmlReport }] = await Promise.all([import('../../charts/replay.js'), import('../../charts/html-report.js')]);
          const path = await writeHtmlReport(opts.html, await replayChart(deps.db, report), `cctrader · replay ${report.id}`);
          ctx[opts.json ? 'err' : 'out'](`HTML report: ${path}`);
        }
        if (opts.json) return ctx.json(report);
        ctx.out(renderReplayReport(report));
      });
    });

  replay
    .command('compare <a> <b>')
    .description('two replays side by side (e.g. Claude against the rules analyst on the same window)')
    .option('--json', 'print one JSON document')
    .action(async (a: string, b: string, _opts: { json?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ json?: boolean }>();
      const { loadReport } = await import('../../replay/runs.js');
      const { comparisonRows } = await import('../render/replay.js');
      await ctx.withApp(ctx.config(), async ({ deps }) => {
        const [ra, rb] = [await loadReport(deps.db, a), await loadReport(deps.db, b)];
        if (opts.json) return ctx.json({ a: ra.id, b: rb.id, rows: comparisonRows(ra, rb).map(([label, x, y]) => ({ label, a: x, b: y })), reports: [ra, rb] });
        ctx.out(renderComparison(ra, rb));
      });
    });
}

export function registerHistory(program: Command, ctx: CliContext): void {
  const history = program.command('history').description('market history stored for replays');
  history
    .command('fetch')
    .description('download the history a replay of the window needs (candles, funding, open interest, long/short), through the request budget')
    .option('--from <time>', 'start: ISO date/time or a span back from now (30d)')
    .option('--to <time>', 'end (default now)')
    .option('--symbols <list>', 'comma-separated symbols (default: the REPLAY_UNIVERSE most traded now)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { from?: string; to?: string; symbols?: string; json?: boolean }) => {
      if (!opts.from) throw new AppError('INVALID_INPUT', '--from is required', { hint: 'e.g. cctrader history fetch --from 30d' });
      await ctx.withApp(ctx.config(), async (app) => {
        const { fetchHistory } = await import('../../replay/history-fetch.js');
        const { replayUniverse } = await import('../../replay/run.js');
        const now = app.deps.clock.now();
        const symbols = await replayUniverse(app.deps, symbolsOf(opts.symbols));
        const progress = progressWriter(ctx);
        try {
          const report = await fetchHistory(app.deps.db, app.history, {
            symbols,
            from: parseTime(opts.from, now, '--from'),
            to: parseTime(opts.to, now, '--to'),
            now,
            onProgress: (p) => progress.line(`history ${p.done}/${p.total} requests (${p.symbol} ${p.kind})`, p.total ? p.done / p.total : 1),
          });
          progress.clear();
          if (opts.json) return ctx.json(report);
          ctx.out(
            `history of ${report.symbols.length} symbols for ${report.from} → ${report.to}: ${report.requests} exchange requests${report.requests ? '' : ' (all stored already)'}`,
          );
          for (const g of report.gaps) ctx.out(`gap: ${g.symbol} ${g.kind}: ${g.missing} missing from ${g.firstMissing}`);
        } finally {
          progress.clear();
        }
      });
    });
}
