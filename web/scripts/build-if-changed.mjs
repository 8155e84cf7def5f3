// `npm run build` in web/: type-checks and builds the app unless nothing under web/ changed since the last build
// (the root `npm run build` runs it on every start, and an unchanged app need not cost a Vite build each time).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(web, 'dist', '.source-hash');
const inputs = ['src', 'scripts', 'index.html', 'package.json', 'package-lock.json', 'tsconfig.json', 'vite.config.ts'];

function* files(entry) {
  const full = path.join(web, entry);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) for (const name of readdirSync(full).sort()) yield* files(path.join(entry, name));
  else yield entry;
}

const hash = createHash('sha256');
for (const input of inputs) for (const file of files(input)) hash.update(file + '\0').update(readFileSync(path.join(web, file))).update('\0');
const digest = hash.digest('hex');
const bin = (name) => path.join(web, 'node_modules', '.bin', name);
const upToDate = () => existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && existsSync(path.join(web, 'dist', 'index.html'));

function build() {
  // `npm start` passes --optional: a server whose dashboard cannot be built still starts, and / says how to build it.
  if (!existsSync(bin('vite'))) {
    const message = "web: web/node_modules is missing (the root's npm install runs npm ci --prefix web)";
    if (!process.argv.includes('--optional')) throw new Error(message);
    console.warn(`${message}; starting without building the dashboard`);
    return;
  }
  execFileSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: web, stdio: 'inherit' });
  execFileSync(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
  writeFileSync(stamp, digest);
  console.log('web: built into web/dist');
}

// One build at a time (two test files may ask at once, and Vite empties dist/ first): a lock folder, taken atomically;
// whoever waited finds the build done. A lock older than ten minutes is a crashed build's.
const lock = path.join(web, '.build-lock');
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (;;) {
  if (upToDate()) {
    console.log('web: unchanged since the last build (web/dist is up to date)');
    break;
  }
  try {
    mkdirSync(lock);
  } catch {
    if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
    pause(250);
    continue;
  }
  try {
    if (!upToDate()) build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  break;
}
