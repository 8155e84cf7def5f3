#!/usr/bin/env node
// Verifies the audit log's hash chain from a shell, as GET /api/audit/verify does (README, Security, "The audit log"):
//
//   DATABASE_URL=postgresql://… npm run audit:verify
//
// Prints the report as JSON and exits 0 when the chain holds, 1 at the first broken link, 2 when it cannot run.
// Like the other scripts it needs DATABASE_URL: the embedded PostgreSQL's password lives with the running server
// only, so against an embedded database ask the server instead (GET /api/audit/verify, as an admin).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('audit:verify needs DATABASE_URL (the embedded database: use GET /api/audit/verify on the server)');
    return 2;
  }
  const { verifyAuditChain } = await import(pathToFileURL(path.join(projectRoot, 'dist/src/audit/audit-chain-verifier.js')).href);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const report = await verifyAuditChain(pool);
    console.log(JSON.stringify(report, null, 2));
    if (!report.ok) console.error(`audit chain broken: ${report.broken.message}`);
    return report.ok ? 0 : 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`audit:verify failed: ${err.message}`);
    process.exit(2);
  },
);
