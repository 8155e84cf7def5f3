#!/usr/bin/env node
// `npm run build` and `npm start`: the Prisma client, then the TypeScript, each only when its inputs changed, so a
// start on an unchanged tree is ready in seconds instead of spending ~20 s rebuilding the same files.
//
//   node scripts/build.mjs                  the client if needed, then sdk/typescript/dist/, sdk/mcp/dist/ and dist/
//   node scripts/build.mjs --client-only    the client if needed (npm run db:generate, npm test)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const generated = path.join(projectRoot, 'src', 'generated', 'prisma');
// Inside the generated folder, so deleting the client also forgets the stamp.
const stampFile = path.join(generated, '.schema-stamp');

function run(file, args) {
  const { status, signal } = spawnSync(process.execPath, [file, ...args], { cwd: projectRoot, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? (signal ? 1 : 0));
}

/** What the generated client depends on: the schema, the Prisma version, and this generator's configuration. */
function schemaStamp() {
  const hash = createHash('sha256');
  for (const file of ['prisma/schema.prisma', 'prisma.config.ts']) hash.update(readFileSync(path.join(projectRoot, file)));
  hash.update(JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version);
  return hash.digest('hex');
}

const stamp = schemaStamp();
const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (current !== stamp || !existsSync(path.join(generated, 'client.ts'))) {
  run(path.join(projectRoot, 'scripts', 'prisma.mjs'), ['generate']);
  writeFileSync(stampFile, `${stamp}\n`);
}

if (process.argv.includes('--client-only')) process.exit(0);

// Build mode compares the sources' times with dist/.tsbuildinfo and skips the compiler's work when nothing is newer.
// The SDK first (sdk/typescript/dist): the server imports its canonical hash through node_modules/@arbiter-ai/sdk,
// whose types and code are that package's built files.
const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
run(tsc, ['-b', 'sdk/typescript']);
// The MCP gateway (arbiter-mcp) builds on the SDK's types, so after it.
run(tsc, ['-b', 'sdk/mcp']);
run(tsc, ['-b', 'tsconfig.build.json']);
