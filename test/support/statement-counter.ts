import { jest } from '@jest/globals';
import type pg from 'pg';
import { statementTag } from '../../src/infra/database/replanned-statement.js';

/**
 * Counts the named (prepared) and tagged (`replannedStatement`) statements an application sends through `pool`, by
 * name, to see how work was batched. The statements still run. `clear()` the map between phases.
 */
export function countNamedStatements(pool: pg.Pool): Map<string, number> {
  const counts = new Map<string, number>();
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  jest.spyOn(pool, 'query').mockImplementation(((...args: unknown[]) => {
    const name = statementTag(args[0] as { name?: string; text?: string } | undefined);
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
    return query(...args);
  }) as never);
  return counts;
}
