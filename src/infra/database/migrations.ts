import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from './project-root.js';

/** Migration folders shipped with this build, oldest first. */
export function shippedMigrations(): string[] {
  const dir = path.join(projectRoot(), 'prisma', 'migrations');
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort();
}

/** Whether the database has finished every shipped migration (false when it cannot tell). */
async function upToDate(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const done = new Set(rows.map((r) => r.migration_name));
    return shippedMigrations().every((name) => done.has(name));
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Applies pending migrations with the Prisma CLI, under the advisory lock that `scripts/prisma.mjs` takes, so several
 * instances starting together apply each migration once. Resolves when done; rejects with the CLI's last words.
 * A database that already has them all is told so without the CLI, whose own start takes seconds.
 */
export async function applyMigrations(databaseUrl: string, log: (line: string) => void): Promise<void> {
  if (await upToDate(databaseUrl)) {
    log('No pending migrations to apply.');
    return;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot(), 'scripts', 'prisma.mjs'), 'migrate', 'deploy'], {
      cwd: projectRoot(),
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        const text = line.trim();
        if (!text || /^(Loaded Prisma config|Prisma config detected|Prisma schema loaded|WARNING: Your schema|- url|The values from|We recommend)/.test(text)) continue;
        tail.push(text);
        if (tail.length > 20) tail.shift();
        // The CLI lists what it applied as a tree: `└─ <folder>/` over `└─ migration.sql`. The folder is the name.
        const folder = /^└─ (\S+)\/$/.exec(text);
        if (folder) {
          if (folder[1] !== 'migrations') log(`applied migration ${folder[1]}`);
        } else if (!/^(└─ migration\.sql|migrations\/)$/.test(text) && /migration|applied|Applying/i.test(text)) {
          log(text);
        }
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`prisma migrate deploy failed: ${tail.filter((l) => /error|P\d{4}/i.test(l)).join(' ') || tail.slice(-3).join(' ')}`));
    });
  });
}
