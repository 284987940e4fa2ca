/** close_position: close an open paper position at market, paying the spread, depth and fee. */
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from './portfolios.js';
import { evaluateLocked } from './evaluate.js';
import { bookLiquidity, tickerLiquidity } from './fills.js';
import { bookClose, type ClosedPosition } from './ledger.js';
import { toDec } from '../shared/money.js';
import { withPortfolioLock } from './serialize.js';
import { writeTransaction } from '../shared/transaction.js';

export interface CloseRequest {
  portfolio?: string | undefined;
  positionId?: number | undefined;
  symbol?: string | undefined;
}

export interface CloseResult {
  closed: ClosedPosition;
  /** True when the position's stop or target had already closed it (found by the evaluation this call ran first). */
  closedByLevel: boolean;
}

export async function closePosition(deps: Deps, request: CloseRequest): Promise<CloseResult> {
  if (request.positionId === undefined && !request.symbol) {
    throw new AppError('INVALID_INPUT', 'Give position_id or symbol', { hint: 'get_portfolio_status lists the open positions' });
  }
  const portfolio = await requirePortfolio(deps, request.portfolio ?? DEFAULT_PORTFOLIO);
  const symbol = request.symbol ? (await deps.market.resolveSymbol(request.symbol)).symbol : null;
  return withPortfolioLock(deps.db, portfolio.id, async () => {
    const evaluation = await evaluateLocked(deps, portfolio.id);
    let query = deps.db.selectFrom('paper_positions').selectAll().where('portfolio_id', '=', portfolio.id);
    query = request.positionId !== undefined ? query.where('id', '=', request.positionId) : query.where('symbol', '=', symbol!).where('status', '=', 'open');
    const position = await query.executeTakeFirst();
    const byLevel = position && evaluation.closed.find((c) => c.positionId === position.id);
    if (byLevel) return { closed: byLevel, closedByLevel: true };
    if (!position) {
      throw new AppError(
        'NOT_FOUND',
        request.positionId !== undefined
          ? `No position ${request.positionId} in portfolio ${portfolio.name}`
          : `No open ${symbol} position in portfolio ${portfolio.name}`,
        {
          hint: 'get_portfolio_status lists the open positions',
        },
      );
    }
    if (position.status !== 'open') {
      throw new AppError('CONFLICT', `Position ${position.id} is already closed (${position.exit_reason ?? 'closed'})`, {
        hint: 'get_signal_history shows its outcome',
      });
    }
    const side = position.direction === 'long' ? 'sell' : 'buy';
    const liquidity =
      deps.config.FILL_MODE === 'instant'
        ? tickerLiquidity(await deps.market.ticker(position.symbol), side)
        : bookLiquidity(await deps.market.orderBook(position.symbol), side, deps.config.MAX_SLIPPAGE_PCT);
    const execution = liquidity.exit(toDec(position.quantity));
    const now = deps.clock.now();
    const closed = await writeTransaction(deps.db, async (tx) => {
      const current = await tx.selectFrom('paper_positions').selectAll().where('id', '=', position.id).where('status', '=', 'open').executeTakeFirst();
      if (!current) throw new AppError('CONFLICT', `Position ${position.id} was closed meanwhile`, { hint: 'get_portfolio_status shows the portfolio' });
      return bookClose(tx, current, { execution, feeRate: deps.config.TAKER_FEE_RATE, reason: 'manual', at: now, evaluatedAt: now });
    });
    return { closed, closedByLevel: false };
  });
}
