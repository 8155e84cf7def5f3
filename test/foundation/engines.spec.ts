import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/infra/database/project-root.js';

const script = path.join(projectRoot(), 'scripts', 'check-engines.mjs');
const check = (dir?: string) => spawnSync(process.execPath, dir ? [script, dir] : [script], { encoding: 'utf8' });

describe('engines.node', () => {
  it('is a range every installed production dependency runs on', () => {
    const result = check();
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/production packages run on node /);
  });

  it('is refused when a dependency, even one installed deeper, needs a newer Node.js', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'arbiter-engines-'));
    try {
      const pkg = (folder: string, json: object) => {
        mkdirSync(folder, { recursive: true });
        writeFileSync(path.join(folder, 'package.json'), JSON.stringify(json));
      };
      pkg(dir, { name: 'app', engines: { node: '>=20.19' }, dependencies: { a: '1' }, devDependencies: { tool: '1' } });
      pkg(path.join(dir, 'node_modules', 'a'), { name: 'a', version: '1.0.0', engines: { node: '>=18' }, dependencies: { b: '1' } });
      pkg(path.join(dir, 'node_modules', 'a', 'node_modules', 'b'), { name: 'b', version: '2.0.0', engines: { node: '>=22.12.0' } });
      pkg(path.join(dir, 'node_modules', 'tool'), { name: 'tool', version: '1.0.0', engines: { node: '>=99' } });
      const result = check(dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/b@2\.0\.0 \(node_modules\/a\/node_modules\/b\) needs node >=22\.12\.0: excludes .*\b20\.19\.0\b/);
      expect(result.stderr).not.toMatch(/\ba@1\.0\.0/);
      expect(result.stderr).not.toContain('tool');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
