/** Terminal rendering of scan cycles: the progress line while a cycle runs (stderr) and the
 * summary table when it ends (stdout). Pure string building plus one small stateful progress writer. */
import type { CycleEvent, CycleResult } from '../../scanner/cycle.js';
import type { MoverReport } from '../../scanner/store.js';
import { cutAtWord, formatPct, formatUsd, renderPanel, renderTable } from './table.js';

const short = (symbol: string): string => symbol.split(':')[0] ?? symbol;

function outcomeCell(m: MoverReport): string {
  const code = m.code ? ` ${m.code}` : '';
  if (m.outcome === 'executed' || m.outcome === 'rejected' || m.outcome === 'recorded') return `${m.outcome}${code}${m.replayed ? ' (replayed)' : ''}`;
  if (m.outcome === 'no_signal') return 'no signal';
  return `${m.outcome}${code}`;
}

function signalCell(m: MoverReport): string {
  if (!m.signal) return '';
  return `${m.signal.direction ?? ''} ${m.signal.confidence ?? ''}`.trim();
}

function counts(map: Record<string, number>): string {
  const entries = Object.entries(map);
  return entries.length === 0 ? '' : ` (${entries.map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

export function renderCycle(r: CycleResult): string {
  const seconds = r.durationMs === null ? '' : ` in ${(r.durationMs / 1000).toFixed(1)} s`;
  const lines = [
    `${r.analyst} analyst${r.daily ? ', daily session' : ''}, portfolio ${r.portfolio}, ${r.status}${seconds}${r.replayed ? ' (already completed: replayed from the record)' : r.resumed ? ' (resumed after an interruption)' : ''}`,
    `scanned ${r.scanned}, movers ≥ ${r.params.thresholdPct}%: ${r.moversFound}, held ${r.moversHeld}, taken ${r.movers.length}`,
    `analysed ${r.analysed}, signals ${r.signals}: executed ${r.executed}, rejected ${r.rejected}${counts(r.rejectedByCode)}, recorded ${r.recorded}`,
    `no signal ${r.noSignal}, errors ${r.errors}${counts(r.errorsByCode)}, skipped ${r.skipped}, positions closed ${r.positionsClosed}`,
    `tokens in ${r.tokens.input} out ${r.tokens.output} cache ${r.tokens.cacheRead}/${r.tokens.cacheWrite}, cost ${formatUsd(r.costUsd, 4)}`,
  ];
  if (r.stop) lines.push(`stopped starting analyses: ${r.stop.code}${r.stop.reason ? ` — ${r.stop.reason}` : ''}`);
  const panel = renderPanel(`Cycle ${r.cycleId}`, lines);
  if (r.movers.length === 0) return `${panel}\nno movers to analyse`;
  const table = renderTable(
    'Movers',
    [
      { header: '#', align: 'right' },
      { header: 'Symbol' },
      { header: '24h', align: 'right' },
      { header: 'Outcome' },
      { header: 'Signal' },
      { header: 'Cost', align: 'right' },
      { header: 'Note' },
    ],
    r.movers.map((m) => [
      String(m.rank),
      short(m.symbol),
      formatPct(m.change24hPct),
      outcomeCell(m),
      signalCell(m),
      formatUsd(m.costUsd, 4),
      cutAtWord(m.outcome === 'executed' ? '' : (m.reason ?? ''), 60),
    ]),
  );
  return `${panel}\n${table}`;
}

/** Progress of a running cycle: a live line on a terminal, plain lines otherwise. */
export function createProgress(write: (s: string) => void, tty: boolean): { event(e: CycleEvent): void; note(text: string): void; clear(): void } {
  let live = '';
  let running = new Set<string>();
  let status = '';
  const show = (): void => {
    if (!tty) return;
    const runningText = running.size ? ` · analysing ${[...running].map(short).join(', ')}` : '';
    const line = `${status}${runningText}`.slice(0, 160);
    write(`\r\x1b[2K${line}`);
    live = line;
  };
  const clear = (): void => {
    if (tty && live) write('\r\x1b[2K');
    live = '';
  };
  const say = (text: string): void => {
    clear();
    write(`${text}\n`);
    show();
  };
  return {
    event(e) {
      switch (e.type) {
        case 'start':
          running = new Set();
          status = `${e.cycleId}: scanning`;
          if (tty) show();
          else say(`cycle ${e.cycleId} started (${e.analyst} analyst${e.resumed ? ', resumed' : ''})`);
          return;
        case 'scanned':
          status = `0/${e.total} analysed`;
          say(`scanned ${e.scanned} markets: ${e.found} movers, ${e.held} held, ${e.total} to analyse`);
          return;
        case 'analysis_start':
          running.add(e.symbol);
          status = `${e.done}/${e.total} analysed`;
          if (tty) show();
          else say(`analysing ${short(e.symbol)} (#${e.rank})`);
          return;
        case 'analysis_done': {
          running.delete(e.mover.symbol);
          status = `${e.done}/${e.total} analysed`;
          const m = e.mover;
          say(
            `${short(m.symbol)}: ${outcomeCell(m)}${m.signal ? ` ${signalCell(m)}` : ''}${m.outcome !== 'executed' && m.reason ? ` — ${cutAtWord(m.reason, 100)}` : ''}`,
          );
          return;
        }
        case 'paused':
          say(`${e.code}: ${e.reason}`);
          return;
        case 'rate_warning':
          say(`warning: ${e.message}`);
          return;
        case 'rate_wait':
          say(`waiting until ${new Date(e.until).toISOString()}: ${e.message}`);
          return;
        case 'evaluated':
          if (e.closed > 0) say(`open positions evaluated: ${e.closed} closed`);
          return;
        case 'error':
          say(`${e.stage} failed: ${e.code}: ${e.message}`);
          return;
      }
    },
    note: say,
    clear,
  };
}
