/** The ordered list of frozen migrations. Names sort in the order they must run. */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
};
