// Prisma CLI configuration. The CLI runs the JavaScript schema engine through adapter-pg, because the native
// engine cannot be downloaded on our build machines (see README, "How it is built").
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { defineConfig } from 'prisma/config';

const NAME_OID = 19;
const TEXT_OID = 25;

// prisma/prisma#27403: the Wasm schema engine reads catalog columns of type `name`, which adapter-pg rejects.
// Reporting them as text is exact for our purposes: `name` values are plain strings.
function reportNameAsText(res: pg.QueryResult | undefined): void {
  for (const field of res?.fields ?? []) {
    if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  }
}

class NameAsTextClient extends pg.Client {
  // pg.Pool calls this with a callback; transactions call it without one and await the promise.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last];
      args[last] = (err: Error | null, res: pg.QueryResult) => {
        if (!err) reportNameAsText(res);
        callback(err, res);
      };
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = (super.query as any)(...args);
    if (result && typeof result.then === 'function') {
      return result.then((res: pg.QueryResult) => {
        reportNameAsText(res);
        return res;
      });
    }
    return result;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    const pool = new pg.Pool({
      connectionString: process.env.DATABASE_URL,
      Client: NameAsTextClient,
      max: 2,
      // Idle connections would keep the CLI alive for pg's default 10 s after its work is done.
      idleTimeoutMillis: 50,
      allowExitOnIdle: true,
    });
    return new PrismaPg(pool);
  },
});
