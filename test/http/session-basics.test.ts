import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../helpers/client.js';
import { startTestServer, TEST_STORE_KIND, type TestServer } from '../helpers/server.js';
import { expectProblem } from './support.js';

describe('session posture: health, posture, landing page', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer({ mode: 'session' });
  });
  afterEach(async () => {
    await server.close();
  });

  it('GET /healthz → 200 {status:"ok"}', async () => {
    const res = await createClient(server.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz → 200 while the store answers', async () => {
    const res = await createClient(server.url).get('/readyz');
    expect(res.status).toBe(200);
  });

  it('GET /auth/posture reports the session posture honestly', async () => {
    const res = await createClient(server.url).get('/auth/posture');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      mode: 'session',
      revocation: { per_request_lookup: true, window_ms: 0 },
      algorithms: [],
      store: TEST_STORE_KIND,
      warnings: [],
    });
    expect(res.body.revocation.mechanism).toEqual(expect.any(String));
    expect(res.body).toHaveProperty('access_ttl_s');
    expect(res.body).toHaveProperty('csrf');
  });

  it('GET /auth/posture reports the memory store when the server runs on it', async () => {
    await server.close();
    server = await startTestServer({ mode: 'session', store: 'memory' });
    const res = await createClient(server.url).get('/auth/posture');
    expect(res.body.store).toBe('memory');
  });

  it('GET / serves HTML with a CSP that allows no inline script', async () => {
    const res = await createClient(server.url).get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html[\s>]/i);
    const csp = res.headers.get('content-security-policy');
    expect(csp).toBeTruthy();
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toMatch(/(default-src|script-src) /);
  });

  it('an unknown route → 404 problem+json', async () => {
    const client = createClient(server.url);
    expectProblem(await client.get('/nope'), 404, 'not_found');
    expectProblem(await client.post('/auth/nope', { json: {} }), 404, 'not_found');
    expectProblem(await client.request('PATCH', '/auth/me'), 404, 'not_found');
  });

  it('API responses are not cacheable', async () => {
    const res = await createClient(server.url).get('/auth/posture');
    expect(res.headers.get('cache-control')).toContain('no-store');
  });
});
