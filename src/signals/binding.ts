/**
 * A run's context, bound by the code and never taken from the model: an unattended analysis (a
 * scan cycle's mover, `analyze`, `monitor`) trades the run's portfolio under the run's signal_id,
 * about the run's coin, whatever the model passes. A model value that disagrees is ignored (the
 * answer says so); a signal for another coin is refused.
 */
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import type { SignalInput } from './submit.js';

export interface RunBinding {
  /** The portfolio the run trades. */
  portfolio: string;
  /** The idempotency key of the run's one signal. */
  signalId?: string | undefined;
  /** The coin the run analyses (any accepted form); a signal for another one is refused. */
  symbol?: string | undefined;
}

/** The signal as the run may submit it, and a note for every model value that was overridden. */
export async function bindSignal(
  deps: Pick<Deps, 'market'>,
  input: SignalInput,
  binding: RunBinding | undefined,
): Promise<{ input: SignalInput; note: string | null }> {
  if (!binding) return { input, note: null };
  if (binding.symbol) {
    const [given, bound] = await Promise.all([deps.market.resolveSymbol(input.symbol), deps.market.resolveSymbol(binding.symbol)]);
    if (given.symbol !== bound.symbol) {
      throw new AppError('INVALID_INPUT', `This analysis is about ${bound.symbol}; it may submit a signal for that coin only`, {
        hint: `submit the ${bound.base} signal, or none`,
      });
    }
  }
  const notes: string[] = [];
  if (input.portfolio !== undefined && input.portfolio !== binding.portfolio) {
    notes.push(`portfolio "${input.portfolio}" ignored: this run trades portfolio "${binding.portfolio}"`);
  }
  if (binding.signalId !== undefined && input.signal_id !== undefined && input.signal_id !== binding.signalId) {
    notes.push(`signal_id "${input.signal_id}" ignored: this run's signal is "${binding.signalId}"`);
  }
  const bound: SignalInput = { ...input, portfolio: binding.portfolio };
  if (binding.signalId !== undefined) bound.signal_id = binding.signalId;
  return { input: bound, note: notes.length ? notes.join('; ') : null };
}
