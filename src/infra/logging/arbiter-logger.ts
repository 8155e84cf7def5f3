import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import type { Logger as Pino } from 'pino';

/** The request's own logger (pino-http's `req.log`, carrying its id) while a request is handled. */
export const requestLoggers = new AsyncLocalStorage<Pino>();

/** Nest's start-up chatter (a line per module and per route, ~80 in all): debug, so the lines that matter show. */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The line UsersService logs once, on a database without users, with the only copy of the first admin's password. */
const FIRST_ADMIN = /^created the first admin: (\S+) with password (\S+)/;

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface ArbiterLoggerOptions {
  /**
   * Where the first admin's password is also shown as a plain banner. Default: stderr when stdout is a terminal (a
   * person is watching); never when the output goes to a file or a log collector, which get the JSON line only.
   */
  banner?: (text: string) => void;
}

/** Nest's LoggerService on pino: one JSON line per call, with its context and, inside a request, the request's id. */
export class ArbiterLogger implements LoggerService {
  private readonly banner: ((text: string) => void) | undefined;

  constructor(
    private readonly root: Pino,
    options: ArbiterLoggerOptions = {},
  ) {
    this.banner = 'banner' in options ? options.banner : process.stdout.isTTY ? (text) => process.stderr.write(text) : undefined;
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest calls `(message, context)`, and for errors `(message, stack, context)`: the context is the last string
   * argument, and an error's stack the one before it.
   */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const args = [...params];
    const context = args.length > 0 && typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const stack = level === 'error' || level === 'fatal' ? args.find((a): a is string => typeof a === 'string') : undefined;
    if (level === 'info' && context && START_UP_CONTEXTS.has(context)) level = 'debug';
    const logger = requestLoggers.getStore() ?? this.root;
    if (message instanceof Error) logger[level]({ context, err: message }, message.message);
    else if (message && typeof message === 'object') logger[level]({ context, ...message });
    else logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));

    const admin = typeof message === 'string' && context === 'UsersService' ? FIRST_ADMIN.exec(message) : null;
    if (admin && this.banner) this.banner(firstAdminBanner(admin[1], admin[2]));
  }
}

export function firstAdminBanner(email: string, password: string): string {
  const rule = '='.repeat(72);
  return [
    '',
    rule,
    '  Arbiter created the first admin. Sign in with:',
    '',
    `      email:     ${email}`,
    `      password:  ${password}`,
    '',
    '  It is shown only this once, and must be changed at the first sign-in.',
    rule,
    '',
    '',
  ].join('\n');
}
