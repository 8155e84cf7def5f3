import type pg from 'pg';

/**
 * A statement that joins a batch of inputs to a table that grows (sessions, verdicts), sent unnamed so PostgreSQL
 * plans it at each execution. A named (prepared) statement soon runs a cached generic plan, made with the table's
 * size at that moment, and keeps it until the next ANALYZE: prepared while the table was nearly empty, it scanned the
 * whole table for each batch once the table held 20,000 sessions (4 ms a statement in the bench, and logins slowed as
 * the table grew). Planning each time costs a fraction of that and follows the table's current size.
 *
 * `tag` leads the text as a comment, so logs, pg_stat_statements and the tests' statement counter can still tell
 * which statement ran.
 */
export function replannedStatement(tag: string, text: string, values: unknown[]): pg.QueryConfig {
  return { text: `/* ${tag} */ ${text}`, values };
}

const TAG = /^\/\* (\w+) \*\//;

/** The tag of a statement made by `replannedStatement`, or its prepared statement name. */
export function statementTag(config: { name?: string; text?: string } | undefined): string | undefined {
  return config?.name ?? (typeof config?.text === 'string' ? TAG.exec(config.text)?.[1] : undefined);
}
