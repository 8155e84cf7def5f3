import vm from 'node:vm';
import { renderSharePage } from './share-page.js';

describe('share page', () => {
  it('carries a fresh nonce on its one script and one style, matching its CSP', () => {
    const first = renderSharePage();
    const second = renderSharePage();
    const nonce = /script-src 'nonce-([^']+)'/.exec(first.headers['Content-Security-Policy'])?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(first.html.match(/<script[^>]*>/g)).toEqual([`<script nonce="${nonce}">`]);
    expect(first.html.match(/<style[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
    expect(second.html).not.toContain(nonce);
    expect(first.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Robots-Tag': 'noindex, nofollow' });
  });

  it('has a script that parses and never builds HTML from strings', () => {
    const { html } = renderSharePage();
    const script = /<script[^>]*>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(() => new vm.Script(script)).not.toThrow();
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script).toContain('textContent');
  });
});
