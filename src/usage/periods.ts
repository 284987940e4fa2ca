/** The periods of the token reports: the vocabulary the tool and command schemas need, without
 * loading the report code. */
export const TOKEN_PERIODS = ['hourly', 'daily', 'session'] as const;
export type TokenPeriod = (typeof TOKEN_PERIODS)[number];
