import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { projectRoot } from '../infra/database/project-root.js';

/** Paths that belong to the server: never answered with the app, so their own 404s stay JSON (or plain). */
const SERVER_PATHS = /^\/(api|ws|s|healthz|readyz|metrics)(\/|$)/;
/** Vite puts a content hash in every file name under assets/: such a file never changes, so it may be cached for good. */
const HASHED = /^\/assets\//;

/** Where `npm run build` puts the dashboard (web/dist), found from Arbiter's package.json. */
export function webDistDir(): string {
  return path.join(projectRoot(), 'web', 'dist');
}

/**
 * Serves the dashboard built in `root`: its files, and index.html for any other page a browser asks for (a GET or
 * HEAD whose Accept names text/html), so a deep link such as /reviews/<id> opens the app, which routes it. The server's
 * own paths and everything else go on to Nest.
 */
export function dashboardMiddleware(root = webDistDir()): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // Nest mounts middleware on a pattern, and Express strips a mount path from req.path: the original URL is whole.
    const urlPath = req.originalUrl.split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || SERVER_PATHS.test(urlPath)) return next();
    const file = fileFor(root, urlPath);
    if (file) return send(file, HASHED.test(urlPath), res, next);
    if (!asksForHtml(req) || HASHED.test(urlPath)) return next();
    const index = path.join(root, 'index.html');
    if (!existsSync(index)) {
      res.status(503).type('text/plain').setHeader('Cache-Control', 'no-store');
      res.send(notBuiltMessage(root));
      return;
    }
    send(index, false, res, next);
  };
}

/**
 * A browser opening a page names text/html in its Accept header. A bare wildcard (what curl, fetch and SDKs send)
 * does not count: such a client asking for a path that does not exist gets the API's JSON 404, not the app's page.
 */
function asksForHtml(req: Request): boolean {
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(req.headers.accept ?? '');
}

/** index.html and other unhashed files are revalidated on every load, so a new build shows up at once. */
function send(file: string, immutable: boolean, res: Response, next: NextFunction): void {
  if (!immutable) res.setHeader('Cache-Control', 'no-cache');
  const options = immutable ? { maxAge: '365d', immutable: true } : { cacheControl: false };
  res.sendFile(file, { dotfiles: 'deny', ...options }, (err) => {
    if (err && !res.headersSent) next(err);
  });
}

/** The built file a request path names, or undefined (never outside `root`, never a folder). */
function fileFor(root: string, urlPath: string): string | undefined {
  if (urlPath === '/' || urlPath.endsWith('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = path.join(root, path.normalize(decoded));
  if (!file.startsWith(root + path.sep) || decoded.includes('\0')) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

export function notBuiltMessage(root: string): string {
  return (
    `The Arbiter dashboard has not been built (${root} is missing).\n\n` +
    'Build it with `npm run build` (or `npm run build --prefix web`), then reload this page.\n' +
    'The API is at /api (documentation at /api/docs) and agents connect to /ws either way.\n'
  );
}
