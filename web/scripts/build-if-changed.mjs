// `npm run build` in web/: type-checks and builds the app unless nothing under web/ changed since the last build
// (the root `npm run build` runs it on every start, and an unchanged app need not cost a Vite build each time).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && existsSync(path.join(web, 'dist', 'index.html'))) {
  console.log('web: unchanged since the last build (web/dist is up to date)');
} else {
  const bin = (name) => path.join(web, 'node_modules', '.bin', name);
  execFileSync(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { cwd: web, stdio: 'inherit' });
  execFileSync(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
  writeFileSync(stamp, digest);
  console.log('web: built into web/dist');
}
