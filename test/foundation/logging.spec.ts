import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ArbiterLogger } from '../../src/infra/logging/arbiter-logger.js';
import { httpLogger, requestLogging } from '../../src/infra/logging/logging.module.js';

/** pino writing JSON lines into an array, at `level`. */
function capture(level: 'info' | 'debug') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const http = httpLogger({ logLevel: level, instanceId: 'test-instance' }, stream);
  return { lines, http };
}

describe('logs', () => {
  it("keep Nest's module and route lines at debug, so they do not bury the rest", () => {
    const info = capture('info');
    const logger = new ArbiterLogger(info.http.logger, { banner: undefined });
    logger.log('Mapped {/api/projects, GET} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('ProjectsController {/api/projects}:', 'RoutesResolver');
    logger.log('Nest application successfully started', 'NestApplication');
    expect(info.lines.map((l) => [l.level, l.context, l.msg, l.instance])).toEqual([[30, 'NestApplication', 'Nest application successfully started', 'test-instance']]);

    const debug = capture('debug');
    new ArbiterLogger(debug.http.logger, { banner: undefined }).log('Mapped {/api/projects, GET} route', 'RouterExplorer');
    expect(debug.lines.map((l) => [l.level, l.context])).toEqual([[20, 'RouterExplorer']]);
  });

  it("show the first admin's generated password in a banner as well as in the JSON line", () => {
    const { lines, http } = capture('info');
    const banners: string[] = [];
    const logger = new ArbiterLogger(http.logger, { banner: (text) => banners.push(text) });
    const line = 'created the first admin: admin@localhost with password Gnt9MZE6P7kbjwvICEBl2pPi (it must be changed at first sign-in)';
    logger.warn(line, 'UsersService');
    logger.warn(line, 'SomeoneElse');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[40, line], [40, line]]);
    expect(banners).toHaveLength(1);
    expect(banners[0]).toMatch(/email: +admin@localhost\n/);
    expect(banners[0]).toMatch(/password: +Gnt9MZE6P7kbjwvICEBl2pPi\n/);

    // Without a terminal (no banner writer) there is only the JSON line.
    new ArbiterLogger(http.logger, { banner: undefined }).warn(line, 'UsersService');
    expect(lines).toHaveLength(3);
  });

  it('log errors with their stack, and context from the caller', () => {
    const { lines, http } = capture('info');
    const logger = new ArbiterLogger(http.logger, { banner: undefined });
    logger.error('it broke', 'Error: it broke\n    at somewhere', 'Sweeper');
    logger.error(new Error('thrown'), 'Sweeper');
    expect(lines.map((l) => [l.level, l.context, l.msg, typeof l.stack === 'string' || typeof (l.err as { stack?: string })?.stack === 'string'])).toEqual([
      [50, 'Sweeper', 'it broke', true],
      [50, 'Sweeper', 'thrown', true],
    ]);
  });

  it("carry the request's id on every line logged while it is handled", async () => {
    const { lines, http: logs } = capture('info');
    const nestLogger = new ArbiterLogger(logs.logger, { banner: undefined });
    const middleware = requestLogging(logs);
    const inside = new Logger('Handler');
    Logger.overrideLogger(nestLogger);
    const server = http.createServer((req, res) =>
      middleware(req, res, () => {
        setImmediate(() => {
          inside.log('handling it');
          res.end('ok');
        });
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/projects?token=secret`, { headers: { 'x-request-id': 'trace-42' } });
      expect(res.headers.get('x-request-id')).toBe('trace-42');
      await res.text();
      const deadline = Date.now() + 2000;
      while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    } finally {
      Logger.overrideLogger(false);
      await new Promise((resolve) => server.close(resolve));
    }
    expect(lines.map((l) => [l.msg, (l.req as { id?: string })?.id, (l.req as { url?: string })?.url])).toEqual([
      ['handling it', 'trace-42', '/api/projects'],
      ['request completed', 'trace-42', '/api/projects'],
    ]);
  });
});
