import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/infra/database/project-root.js';

/**
 * The dashboard's API types are generated from the server's OpenAPI document; a stale copy fails here. The document
 * comes from dist/ (the tests' global setup builds it), exactly as `npm run web:api` makes it.
 */
describe("the dashboard's API types", () => {
  it('match what the current OpenAPI document generates (run npm run web:api to update)', () => {
    const root = projectRoot();
    const fresh = execFileSync(process.execPath, [path.join(root, 'web', 'scripts', 'api-types.mjs'), '--stdout'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const committed = readFileSync(path.join(root, 'web', 'src', 'api', 'schema.d.ts'), 'utf8');
    if (committed !== fresh) {
      const [a, b] = [committed.split('\n'), fresh.split('\n')];
      const line = a.findIndex((text, i) => text !== b[i]);
      throw new Error(
        'web/src/api/schema.d.ts is stale: run npm run web:api to update it, and commit the result.\n' +
          `First difference at line ${line + 1}:\n  committed: ${a[line]}\n  generated: ${b[line]}`,
      );
    }
    expect(committed).toContain('"/api/reviews/{id}/decision"');
  });
});
