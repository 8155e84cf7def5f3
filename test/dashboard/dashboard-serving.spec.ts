import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { dashboardMiddleware } from '../../src/dashboard/dashboard.middleware.js';
import { type SignedInApp, signedInApp } from '../support/fixtures.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** The server side of the dashboard: files, the single-page fallback, caching, and what it must leave alone. */
describe('dashboard serving', () => {
  describe('from a built app', () => {
    let root: string;
    let server: http.Server;
    let base: string;

    beforeAll(async () => {
      root = mkdtempSync(path.join(os.tmpdir(), 'arbiter-web-'));
      mkdirSync(path.join(root, 'assets'));
      writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Arbiter</title><div id="root"></div>');
      writeFileSync(path.join(root, 'assets', 'index-AbC123.js'), 'console.log(1)');
      writeFileSync(path.join(root, 'favicon.svg'), '<svg/>');
      const app = express();
      app.use(dashboardMiddleware(root));
      app.use((_req, res) => void res.status(404).json({ error: { code: 'not_found', message: 'passed on' } }));
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    });

    it('answers / and any deep link a browser opens with index.html, revalidated on every load', async () => {
      for (const page of ['/', '/reviews', '/reviews/2c0d5a4e-2f0b-4a4e-8c43-1f4f3f0b9a10?x=1']) {
        const res = await fetch(base + page, { headers: HTML });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/html');
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(await res.text()).toContain('<div id="root">');
      }
    });

    it('serves hashed assets cacheable for a year, other files revalidated', async () => {
      const asset = await fetch(`${base}/assets/index-AbC123.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const plain = await fetch(`${base}/favicon.svg`);
      expect(plain.headers.get('cache-control')).toBe('no-cache');
    });

    it('passes on the server’s paths, missing assets, non-HTML requests and writes, and never leaves its folder', async () => {
      for (const page of ['/api/nothing', '/api', '/ws', '/s/abc', '/healthz', '/readyz', '/metrics', '/assets/gone-123.js']) {
        const res = await fetch(base + page, { headers: HTML });
        expect([page, res.status]).toEqual([page, 404]);
      }
      expect((await fetch(`${base}/reviews`, { headers: { accept: 'application/json' } })).status).toBe(404);
      // curl and fetch send */*: a path that does not exist is the API's JSON 404 for them, not the app.
      expect((await fetch(`${base}/no-such-route`, { headers: { accept: '*/*' } })).status).toBe(404);
      expect((await fetch(`${base}/reviews`, { method: 'POST', headers: HTML })).status).toBe(404);
      const escape = await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`, { headers: { accept: '*/*' } });
      expect(await escape.text()).not.toContain('root:');
    });

    it('says how to build the app when it has not been built, instead of failing', async () => {
      const app = express().use(dashboardMiddleware(path.join(root, 'missing')));
      const bare = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => bare.once('listening', resolve));
      try {
        const res = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, { headers: HTML });
        expect(res.status).toBe(503);
        expect(await res.text()).toContain('npm run build');
      } finally {
        await new Promise((resolve) => bare.close(resolve));
      }
    });
  });

  describe('in the application', () => {
    let world: SignedInApp;

    beforeAll(async () => {
      world = await signedInApp();
    });

    afterAll(async () => {
      await world?.close();
    });

    it('leaves the API’s JSON answers alone, a browser’s 404 under /api included', async () => {
      const missing = await fetch(`${world.instance.url}/api/no-such-thing`, { headers: HTML });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toContain('application/json');
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
      const me = await fetch(`${world.instance.url}/api/auth/me`, { headers: HTML });
      expect(me.status).toBe(401);
      expect((await fetch(`${world.instance.url}/healthz`, { headers: HTML })).status).toBe(200);
    });

    it('answers a deep link with the app (or, unbuilt, with how to build it)', async () => {
      const res = await fetch(`${world.instance.url}/reviews/2c0d5a4e-2f0b-4a4e-8c43-1f4f3f0b9a10`, { headers: HTML });
      expect([200, 503]).toContain(res.status);
      expect(res.headers.get('content-type')).toContain(res.status === 200 ? 'text/html' : 'text/plain');
    });
  });
});
