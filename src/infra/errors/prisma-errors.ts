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
