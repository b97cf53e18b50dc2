import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createTessera } from '../../src/index.js';
import { buildApp } from '../../src/server/app.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The raw HTTP/1.1 responses in a byte stream: status, lower-case headers, body. */
function parseResponses(raw: string): { status: number; headers: Record<string, string>; body: string }[] {
  const responses = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

describe('draining (SIGTERM, close())', () => {
  let servers: TestServer[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close().catch(() => {})));
    servers = [];
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('finishes the request in flight with Connection: close, and never runs one pipelined behind it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-drain-'));
    const store = `sqlite:${join(dir, 'tessera.db')}`;
    const server = await startTestServer({ store });
    servers.push(server);
    const account = { email: 'drain@example.com', password: 'a long enough passphrase 42' };
    const json = { 'content-type': 'application/json', origin: server.origin };
    expect((await fetch(`${server.url}/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify(account) })).status).toBe(201);
    const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ ...account, transport: 'bearer' }) });
    const { access_token: token } = (await login.json()) as { access_token: string };

    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const closed = once(socket, 'close');
    // The first request's headers reach the server (it is in flight: the connection is not idle,
    // so closing waits for it); the rest of its body and a pipelined logout follow once closing began.
    const firstSeen = once(server.app.server, 'request');
    const body = JSON.stringify({ email: 'not-an-address', password: 'x' });
    socket.write(`POST /auth/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${server.origin}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await firstSeen;
    const closing = server.close();
    socket.write(`${body.slice(5)}POST /auth/logout HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Length: 0\r\n\r\n`);
    await closing;
    await closed;
    const responses = parseResponses(received);
    // The request in flight is answered in full and told to close; the connection then closes.
    expect(responses.map((r) => r.status), received).toEqual([400]);
    expect(responses[0]!.headers['connection']).toBe('close');
    expect(responses[0]!.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(responses[0]!.body)).toMatchObject({ status: 400, code: 'bad_request' });
    // The pipelined logout, whose answer could never be delivered, was not run: the session lives.
    const next = await startTestServer({ store });
    servers.push(next);
    expect((await fetch(`${next.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('refuses a request read on a kept-alive connection while closing with a problem+json 503', async () => {
    const tessera = createTessera({ mode: 'session', store: createMemoryStore(), origins: ['http://localhost'] });
    const app = await buildApp({ tessera, logLevel: 'silent' });
    // Hold the close after the server's own preClose hook (it runs first), before the listener
    // and the idle connections are closed: the window in which a kept-alive client still sends.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.addHook('preClose', () => held);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
    let closing: Promise<void> | undefined;
    try {
      expect((await get('/healthz')).status).toBe(200);
      closing = app.close();
      const refused = await get('/auth/sessions');
      expect(refused.status, refused.body).toBe(503);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'unavailable' });
      expect(refused.headers['connection']).toBe('close');
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
    } finally {
      release();
      await closing;
      agent.destroy();
      await tessera.close();
    }
  });
});
