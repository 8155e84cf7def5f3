import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Global, Inject, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { pinoHttp } from 'pino-http';
import type { ArbiterConfig } from '../config/config.js';
import { ArbiterLogger, requestLoggers } from './arbiter-logger.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/** pino-http over one pino logger: a line per request, with the id every line logged during it carries. */
export function httpLogger(config: Pick<ArbiterConfig, 'logLevel' | 'instanceId'>, stream?: DestinationStream) {
  return pinoHttp<IncomingMessage, ServerResponse, never>({
    level: config.logLevel,
    base: { instance: config.instanceId },
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Public share URLs carry their token in the path; log the route shape instead.
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactPath(req.url),
        remoteAddress: req.remoteAddress,
      }),
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.token', '*.api_key'],
      censor: '[redacted]',
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
  }, stream);
}

/** The middleware: logs the request when it ends, and hands its logger to everything logged while it is handled. */
export function requestLogging(http: ReturnType<typeof httpLogger>) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    http(req, res);
    requestLoggers.run(req.log, next);
  };
}

/**
 * Structured JSON logs with a request id on every line; credentials and tokens are redacted, never logged. Nest's
 * own logger is `ArbiterLogger` (app.factory.ts installs it) on the same pino logger as the request lines.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  constructor(@Inject(HTTP_LOGGER) private readonly http: ReturnType<typeof httpLogger>) {}

  static forRoot(config: ArbiterConfig): DynamicModule {
    const http = httpLogger(config);
    return {
      module: LoggingModule,
      providers: [
        { provide: HTTP_LOGGER, useValue: http },
        { provide: ArbiterLogger, useValue: new ArbiterLogger(http.logger) },
      ],
      exports: [ArbiterLogger],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // `{/*splat}` matches every path, the root included, under Express 5's path-to-regexp.
    consumer.apply(requestLogging(this.http)).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}

/** Removes secrets carried in URLs: share tokens (`/s/<token>`, `/api/public/shares/<token>`) and query strings. */
export function redactPath(url: string): string {
  return url
    .replace(/\?.*$/, '')
    .replace(/^\/s\/[^/]+/, '/s/[token]')
    .replace(/^\/api\/public\/shares\/[^/]+/, '/api/public/shares/[token]');
}
