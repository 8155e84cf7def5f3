import { AppError } from './error-catalogue.js';

/** Prisma's known request errors that mean something to the caller, mapped in one place. */
export function appErrorFromPrisma(err: unknown): AppError | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^P\d{4}$/.test(code)) return undefined;
  const meta = (err as { meta?: { target?: unknown; modelName?: string } }).meta;
  switch (code) {
    case 'P2002': {
      const target = Array.isArray(meta?.target) ? meta.target.join(', ') : String(meta?.target ?? 'value');
      return new AppError('conflict', `a record with this ${target} already exists`);
    }
    case 'P2025':
    case 'P2001':
      return new AppError('not_found', `${meta?.modelName ?? 'record'} not found`);
    case 'P2003':
      return new AppError('conflict', 'the change refers to a record that does not exist');
    default:
      return undefined;
  }
}

/**
 * What pg and PostgreSQL say when the database is there but cannot take the request now: the pool had no connection
 * free within its wait (a burst larger than the pool), the server refused or dropped connections (restart, too many
 * connections). That is a state the caller should retry, a 503 with Retry-After, not a bug to report as a 500.
 */
const UNAVAILABLE_MESSAGES = [/^timeout exceeded when trying to connect$/, /^Connection terminated/];
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', '57P01', '57P02', '57P03', '53300', 'P1001', 'P1017', 'P2024']);

export function appErrorFromUnavailableDatabase(err: unknown): AppError | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if ((typeof code === 'string' && UNAVAILABLE_CODES.has(code)) || (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message)))) {
      return new AppError('not_ready', 'the database is busy or unreachable; retry shortly', 1);
    }
  }
  return undefined;
}
