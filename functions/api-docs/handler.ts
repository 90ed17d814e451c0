import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { Request, Response } from '@google-cloud/functions-framework';
import { problem } from '../../schemas/index.ts';
import { applySecurityHeaders } from '../lib/http/headers.ts';
import { sendProblem } from '../lib/http/problem.ts';

/** The files of the reference page, from the renderer's package (swagger-ui-dist); nothing comes from a CDN. */
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Saga Commerce API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="stylesheet" href="/docs/index.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** Starts the renderer on the document this host serves; no validator badge (it would call validator.swagger.io). */
const init = `window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

/** Types of the console's built files (Vite's output: a page, hashed scripts and styles, their source maps). */
const consoleTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Serves one file of the saga console (`/console/` is its page); false when there is no such file. */
async function serveConsole(dir: string, path: string, res: Response): Promise<boolean> {
  const relative = normalize(path.slice('/console/'.length) || 'index.html');
  const type = consoleTypes[extname(relative)];
  if (relative.startsWith('..') || !type) return false;
  const body = await readFile(join(dir, relative)).catch(() => null);
  if (!body) return false;
  // Hashed assets never change; the page is read again each time, so a new console is picked up at once.
  res.status(200).set({ 'Cache-Control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache' }).type(type).send(body);
  return true;
}

/**
 * The API's contract, its reference page and the saga console: `GET /v1/openapi.json` (generated once from the
 * operations table; its server is `/`, the host it is read from, whatever name the client used), `GET /docs` with the
 * renderer's files, and `GET /console/` with the console's built files (it signs in with an admin's token and talks
 * only to the API on the same host).
 */
export function createApiDocs(deps: { document: () => unknown; assetDir: string; consoleDir: string }) {
  let document: string | undefined;
  return async (req: Request, res: Response): Promise<void> => {
    applySecurityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendProblem(res, problem('method-not-allowed', { detail: 'use GET', instance: req.path }), { Allow: 'GET, HEAD' });
    }
    if (req.path === '/console') return void res.redirect(308, '/console/');
    if (req.path.startsWith('/console/')) {
      if (await serveConsole(deps.consoleDir, req.path, res)) return;
      return sendProblem(res, problem('not-found', { detail: `no resource at ${req.path}; the console is at /console/`, instance: req.path }));
    }
    if (req.path === '/v1/openapi.json') {
      document ??= JSON.stringify(deps.document(), null, 2);
      res.status(200).set({ 'Cache-Control': 'public, max-age=300' }).type('application/json').send(document);
      return;
    }
    if (req.path === '/docs' || req.path === '/docs/') {
      res.status(200).set({ 'Cache-Control': 'public, max-age=300' }).type('text/html; charset=utf-8').send(page);
      return;
    }
    if (req.path === '/docs/init.js') {
      res.status(200).set({ 'Cache-Control': 'public, max-age=300' }).type('text/javascript; charset=utf-8').send(init);
      return;
    }
    const name = req.path.startsWith('/docs/') ? req.path.slice('/docs/'.length) : '';
    const type = Object.hasOwn(assets, name) ? assets[name] : undefined;
    if (!type) return sendProblem(res, problem('not-found', { detail: `no resource at ${req.path}; the reference is at /docs`, instance: req.path }));
    const body = await readFile(join(deps.assetDir, name));
    res.status(200).set({ 'Cache-Control': 'public, max-age=86400' }).type(type).send(body);
  };
}
