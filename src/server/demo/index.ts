import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../core/tessera.js';
import { sendHttpResponse } from '../../adapters/fastify/index.js';
import { problem } from '../../http/problem.js';
import { notFound, withSecurityHeaders } from '../../http/routes/index.js';
import { renderDemoPage } from '../demo-page.js';
import { loadAssets, PAGE_HEADERS } from './assets.js';
import { registerStolenRoutes } from './stolen.js';

/**
 * Registers the demo page: `GET /`, its static files under `/assets/`, and — only when the
 * instance was configured with `demo: true` (`--demo`) — the stolen-credential routes under `/demo/`.
 * @throws Error when the page's browser modules are missing (run `npm run build`).
 */
export async function registerDemoPage(app: FastifyInstance, tessera: Tessera): Promise<void> {
  const assets = await loadAssets();
  const page = renderDemoPage({ mode: tessera.config.mode, demo: tessera.config.demo });

  app.get('/', async (_request, reply) => {
    reply.headers(PAGE_HEADERS).header('content-type', 'text/html; charset=utf-8');
    return page;
  });

  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (!asset) return sendHttpResponse(reply, notFound());
    reply.headers(PAGE_HEADERS).header('content-type', asset.contentType);
    return asset.body;
  });

  if (!tessera.config.demo) return;
  await app.register(async (demo) => {
    // The demo routes take no body: whatever is sent (at most 1 KiB) is read and discarded.
    demo.removeAllContentTypeParsers();
    demo.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 }, (_request, _body, done) => done(null, null));
    // The routes answer their own errors; only Fastify's body errors reach this handler.
    demo.setErrorHandler((err: { statusCode?: number }, _request, reply) =>
      sendHttpResponse(
        reply,
        withSecurityHeaders(
          err.statusCode === 413 ? problem('payload_too_large', { detail: 'the demo routes take no body' }) : problem('bad_request', { detail: 'the request could not be read' }),
        ),
      ),
    );
    registerStolenRoutes(demo, tessera);
  });
}
