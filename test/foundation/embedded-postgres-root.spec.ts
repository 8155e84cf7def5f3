import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres, postgresIdentity } from '../../src/infra/database/embedded-postgres.js';
import { projectRoot } from '../../src/infra/database/project-root.js';
import { ROOT_PLACE, canReach, placeBinaries } from '../../src/infra/database/embedded-postgres-placement.js';

/**
 * `npm install && npm start` as root in a private folder (/root, a `mktemp -d`): PostgreSQL runs as the `postgres`
 * user, which cannot enter that folder. Run as another user, the cluster simply stays where it was asked for.
 */
describe('the embedded PostgreSQL started from a private folder', () => {
  const identity = postgresIdentity();
  const privateDir = mkdtempSync(path.join(os.tmpdir(), 'arbiter-private-')); // mode 0700, as mkdtemp makes it
  const cleanup: string[] = [privateDir];

  afterAll(() => {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  async function hasDatabase(server: EmbeddedPostgres, name: string, create = false): Promise<boolean> {
    const client = new pg.Client({ connectionString: server.url('postgres') });
    await client.connect();
    try {
      if (create) await client.query(`CREATE DATABASE "${name}"`);
      return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    } finally {
      await client.end();
    }
  }

  it('starts, keeps its data across a restart, and opens nothing of the folder to anyone', async () => {
    const dir = path.join(privateDir, 'data', 'postgres');
    const first = new EmbeddedPostgres({ dir, port: 0 });
    await first.start();
    cleanup.push(first.clusterDir);
    try {
      expect(await hasDatabase(first, 'kept_across_restarts', true)).toBe(true);
    } finally {
      await first.stop();
    }
    if (identity) {
      // The premise: the postgres user cannot reach the folder asked for.
      expect(canReach(path.dirname(dir), identity)).toBe(false);
      expect(lstatSync(dir).isSymbolicLink()).toBe(true);
      expect(path.dirname(first.clusterDir)).toBe(ROOT_PLACE);
      const cluster = statSync(first.clusterDir);
      expect({ uid: cluster.uid, mode: cluster.mode & 0o777 }).toEqual({ uid: identity.uid, mode: 0o700 });
    } else {
      expect(first.clusterDir).toBe(dir);
    }
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    const password = readFileSync(path.join(dir, 'superuser-password'), 'utf8');

    const second = new EmbeddedPostgres({ dir, port: 0 });
    await second.start();
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      expect(await hasDatabase(second, 'kept_across_restarts')).toBe(true);
      expect(readFileSync(path.join(dir, 'superuser-password'), 'utf8')).toBe(password);
    } finally {
      await second.stop();
    }
  });

  it('starts from scratch once the data folder is deleted', async () => {
    const dir = path.join(privateDir, 'scratch', 'postgres');
    const first = new EmbeddedPostgres({ dir, port: 0 });
    await first.start();
    cleanup.push(first.clusterDir);
    try {
      await hasDatabase(first, 'from_the_deleted_folder', true);
    } finally {
      await first.stop();
    }
    rmSync(path.dirname(dir), { recursive: true });

    const second = new EmbeddedPostgres({ dir, port: 0 });
    await second.start();
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      expect(await hasDatabase(second, 'from_the_deleted_folder')).toBe(false);
    } finally {
      await second.stop();
    }
  });

  it('runs binaries installed in a private folder from a copy the postgres user can read', () => {
    const pkg = path.join(projectRoot(), 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`);
    const installed = path.join(privateDir, 'node_modules', 'pkg');
    mkdirSync(path.dirname(installed), { recursive: true });
    cpSync(pkg, installed, { recursive: true, verbatimSymlinks: true });
    const root = mkdtempSync(path.join(os.tmpdir(), 'arbiter-binaries-'));
    cleanup.push(root);
    chmodSync(root, 0o755);
    const binaries = { postgres: path.join(installed, 'native/bin/postgres'), initdb: path.join(installed, 'native/bin/initdb') };

    const placed = placeBinaries(binaries, identity, root);
    if (!identity) {
      expect(placed).toEqual(binaries);
      return;
    }
    expect(canReach(binaries.postgres, identity)).toBe(false);
    expect(placed.postgres.startsWith(root + path.sep)).toBe(true);
    for (const binary of [placed.postgres, placed.initdb]) {
      expect(execFileSync(binary, ['--version'], { ...identity }).toString()).toMatch(/\(PostgreSQL\) \d+/);
    }
    // A second start uses the same copy.
    expect(placeBinaries(binaries, identity, root)).toEqual(placed);
    expect(existsSync(`${path.dirname(path.dirname(placed.postgres))}.${process.pid}.tmp`)).toBe(false);
  });
});
