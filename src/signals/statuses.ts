/** What became of a stored signal. */
export const SIGNAL_STATUSES = ['executed', 'rejected', 'recorded', 'failed'] as const;
export type SignalStatusFilter = (typeof SIGNAL_STATUSES)[number];
