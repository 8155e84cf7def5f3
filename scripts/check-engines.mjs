#!/usr/bin/env node
// Checks that every installed production dependency runs on every Node.js version our `engines.node` allows: the
// lowest version our range allows in each major line, and the Node.js running this check, must satisfy the
// dependency's own `engines.node`. npm only warns (EBADENGINE) when they disagree; this fails instead.
//
//   node scripts/check-engines.mjs [project folder]      exit 1 and one line per dependency that excludes one
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
// semver comes with the dev dependencies (jest, typescript tooling), which is where this check runs.
const semver = createRequire(import.meta.url)('semver');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const own = readJson(path.join(root, 'package.json'));
const range = own.engines?.node;
if (!range) {
  console.error('check-engines: package.json has no engines.node');
  process.exit(1);
}
// The lowest version our range allows in each major line from its floor to a few majors past today's Node.js.
const floors = range.split('||').map((part) => semver.minVersion(part.trim()).version);
const lastMajor = Math.max(semver.major(process.versions.node), ...floors.map((v) => semver.major(v))) + 2;
const versions = [process.versions.node];
for (let major = semver.major(floors.sort(semver.compare)[0]); major <= lastMajor; major++) {
  const lowest = [`${major}.0.0`, ...floors].find((v) => semver.major(v) === major && semver.satisfies(v, range));
  if (lowest && !versions.includes(lowest)) versions.push(lowest);
}

/** Node's lookup: `name` in the node_modules of `from` or of a folder above it, up to the project. */
function resolve(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

const problems = [];
const seen = new Set();
const queue = Object.keys({ ...own.dependencies, ...own.optionalDependencies }).map((name) => [name, root, true]);
while (queue.length > 0) {
  const [name, from, required] = queue.shift();
  const dir = resolve(name, from);
  if (!dir) {
    // An optional dependency for another platform is legitimately absent.
    if (required) problems.push(`${name}: not installed (needed from ${path.relative(root, from) || 'package.json'})`);
    continue;
  }
  if (seen.has(dir)) continue;
  seen.add(dir);
  const pkg = readJson(path.join(dir, 'package.json'));
  const theirs = pkg.engines?.node;
  if (theirs) {
    const excluded = versions.filter((v) => !semver.satisfies(v, theirs));
    if (excluded.length > 0) problems.push(`${pkg.name}@${pkg.version} (${path.relative(root, dir)}) needs node ${theirs}: excludes ${excluded.join(', ')}`);
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push([dep, dir, true]);
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push([dep, dir, false]);
  for (const [dep, meta] of Object.entries(pkg.peerDependencies ?? {})) queue.push([dep, dir, !pkg.peerDependenciesMeta?.[dep]?.optional]);
}

if (problems.length > 0) {
  console.error(`check-engines: engines.node is "${range}", but these production dependencies do not run on all of it:`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`check-engines: ${seen.size} production packages run on node ${versions.join(', ')} (engines.node "${range}")`);
