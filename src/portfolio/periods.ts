/** The P&L report periods (UTC calendar days, today included): daily = 7, weekly = 28, monthly = 365. */
export const PERIODS = ['daily', 'weekly', 'monthly', 'all'] as const;
export type Period = (typeof PERIODS)[number];
