import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { ArbiterConfig } from '../config/config.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Structured JSON logs with a request id on every line; credentials and tokens are redacted, never logged. */
@Module({})
export class LoggingModule {
  static forRoot(config: ArbiterConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            base: { instance: config.instanceId },
            genReqId: (req: IncomingMessage, res: ServerResponse) => {
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
          },
        }),
      ],
    };
  }
}

/** Removes secrets carried in URLs: share tokens (`/s/<token>`, `/api/public/shares/<token>`) and query strings. */
export function redactPath(url: string): string {
  return url
    .replace(/\?.*$/, '')
    .replace(/^\/s\/[^/]+/, '/s/[token]')
    .replace(/^\/api\/public\/shares\/[^/]+/, '/api/public/shares/[token]');
}
