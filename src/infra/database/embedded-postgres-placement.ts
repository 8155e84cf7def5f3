import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

export interface Identity {
  uid: number;
  gid: number;
}

export interface Binaries {
  postgres: string;
  initdb: string;
}

/** Where root keeps clusters and binaries that the `postgres` user could not reach where they were asked for. */
export const ROOT_PLACE = '/var/lib/arbiter';

/** Whether `identity` can search `target` (and so every folder above it), as PostgreSQL will run. */
export function canReach(target: string, identity: Identity, test: '-x' | '-r' = '-x'): boolean {
  try {
    // spawn with uid/gid drops root's supplementary groups, exactly as for the postgres we start later.
    execFileSync('/bin/sh', ['-c', `test ${test} "$1"`, 'sh', target], { ...identity, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A folder the postgres user may enter: mode set explicitly, since mkdir's mode is cut by the umask. */
function publicFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
}

/** Real path of a folder that may not exist yet (its parent does). */
function realTarget(dir: string): string {
  return path.join(realpathSync(path.dirname(dir)), path.basename(dir));
}

/**
 * The folder the cluster really lives in. Run as root, PostgreSQL runs as `postgres`, which cannot enter a private
 * folder such as /root or a `mktemp -d`: then the cluster lives under ROOT_PLACE, in a folder named by the SHA-256 of
 * the real path asked for, and `dir` becomes a symbolic link to it. The link is the record a later start follows,
 * and nothing of the user's is opened to anyone. Without a link, a cluster already under ROOT_PLACE belonged to a
 * data folder that was deleted (the way to start from scratch), so it is removed.
 */
export function placeCluster(dir: string, identity: Identity | undefined, root = ROOT_PLACE): { dir: string; relocated: boolean } {
  const link = lstatOrUndefined(dir);
  if (link?.isSymbolicLink()) return { dir: path.resolve(path.dirname(dir), readlinkSync(dir)), relocated: true };
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  if (!identity || canReach(path.dirname(dir), identity)) return { dir, relocated: false };
  if (link) {
    throw new Error(
      `the postgres user cannot reach the embedded cluster in ${dir} (a folder above it is private); move the data folder (ARBITER_DATA_DIR) or set DATABASE_URL`,
    );
  }
  const target = path.join(root, createHash('sha256').update(realTarget(dir)).digest('hex'));
  publicFolder(root);
  if (existsSync(target)) {
    stopStale(target);
    rmSync(target, { recursive: true, force: true });
  }
  mkdirSync(target, { mode: 0o700 });
  chownSync(target, identity.uid, identity.gid);
  symlinkSync(target, dir);
  return { dir: target, relocated: true };
}

/** A postgres still running on a cluster about to be removed is stopped first. */
function stopStale(cluster: string): void {
  const pidFile = path.join(cluster, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    if (pid) process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync('sleep', ['0.1']);
  }
}

function lstatOrUndefined(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Binaries the postgres user can run. Those in this clone's node_modules are used when it can reach them; otherwise
 * (a clone in a private folder) a copy made once per package version under ROOT_PLACE, readable by everyone.
 */
export function placeBinaries(binaries: Binaries, identity: Identity | undefined, root = ROOT_PLACE): Binaries {
  if (!identity || (canReach(binaries.postgres, identity) && canReach(binaries.initdb, identity))) return binaries;
  const native = path.dirname(path.dirname(binaries.postgres));
  const pkg = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { name: string; version: string };
  const copy = path.join(root, `${pkg.name.replace(/^@/, '').replace(/\//g, '-')}-${pkg.version}`);
  const complete = path.join(copy, '.complete');
  if (!existsSync(complete)) {
    publicFolder(root);
    // Copied beside it and renamed into place, so two starts at once never see half a copy.
    const staging = `${copy}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    openForReading(staging);
    writeFileSync(path.join(staging, '.complete'), `${native}\n`);
    try {
      renameSync(staging, copy);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(complete)) throw err;
    }
  }
  const relocate = (file: string) => path.join(copy, path.relative(native, file));
  return { postgres: relocate(binaries.postgres), initdb: relocate(binaries.initdb) };
}

/** Folders 0755 and files world-readable, whatever the umask: the copy is ours, made only for the postgres user. */
function openForReading(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) openForReading(file);
    else if (entry.isFile()) chmodSync(file, lstatSync(file).mode | 0o444);
  }
}
