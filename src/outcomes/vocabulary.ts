/** Who produced a signal, as the scorecard groups them, and the scorecard's list bound. */
export const ANALYSTS = ['claude', 'rules', 'manual'] as const;
export type AnalystFilter = (typeof ANALYSTS)[number];

export const MAX_SCORECARD_SYMBOLS = 10;
