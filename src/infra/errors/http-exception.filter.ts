import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, codeForStatus, errorBody } from './error-catalogue.js';
import { appErrorFromPrisma, appErrorFromUnavailableDatabase } from './prisma-errors.js';

/** Turns every error into `{"error":{"code","message"}}` with its status; a 500 never shows internals. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(thrown: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw thrown;
    const res = host.switchToHttp().getResponse<Response>();
    const exception = appErrorFromUnavailableDatabase(thrown) ?? thrown;
    const { status, code, message } = this.describe(exception);
    // A 5xx we raised on purpose (not ready during a database outage) is a state, not a bug: one line, no stack.
    if (exception instanceof AppError && status >= 500) this.logger.warn(`${code}: ${message}`);
    else if (status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    if (res.headersSent) {
      res.end();
      return;
    }
    if (exception instanceof AppError && exception.retryAfterSeconds) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    res.status(status).json(errorBody(code, message, exception instanceof AppError ? exception.details : undefined));
  }

  private describe(exception: unknown): { status: number; code: string; message: string } {
    const known = exception instanceof AppError ? exception : appErrorFromPrisma(exception);
    if (known) return { status: known.status, code: known.code, message: known.message };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (exception.cause instanceof SyntaxError) return { status, code: 'bad_request', message: 'request body is not valid JSON' };
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message;
      if (status >= 500) return { status, code: codeForStatus(status), message: 'internal server error' };
      return { status, code: codeForStatus(status), message };
    }
    return { status: 500, code: 'internal', message: 'internal server error' };
  }
}
