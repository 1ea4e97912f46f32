import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PlatformHttpServer } from '@platform/runtime/http';
import { loadAssets } from '../adapters/page-renderer';

/**
 * The operators' console (docs/console.md): one static page and its ES modules and CSS from
 * `console/` beside `src/` and `dist/`, no build step. The page holds no data: its scripts call
 * the `/v1` API with the key the operator pastes, so the API's roles and audit apply unchanged.
 * Same security headers as every page (scripts and styles only from here): the charts' library,
 * uPlot, is served among the assets from the gateway's own node_modules, its ES module and CSS.
 */
export function registerConsole(app: PlatformHttpServer, directory: string): void {
  const page = readFileSync(join(directory, 'index.html'));
  const assets = loadAssets(join(directory, 'assets'));
  const uplot = loadAssets(dirname(createRequire(import.meta.url).resolve('uplot')));
  for (const name of ['uPlot.esm.js', 'uPlot.min.css']) assets.set(name, uplot.get(name)!);
  app.get('/console', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page),
  );
  app.get('/console/assets/:name', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('Not found');
    return reply.header('content-type', asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
}
