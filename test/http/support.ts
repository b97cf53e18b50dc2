/** Shared set-up and assertions of the HTTP tests (session posture). Not a test file itself. */
import { expect } from 'vitest';
import { createClient, type ClientResponse, type TestClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';

export const PASSWORD = 'correct horse battery';
export const SESSION_COOKIE = '__Host-tessera_sid';
/** 32 bytes in base64url, no padding. */
export const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;
export const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Asserts an RFC 9457 problem response with the given status and code, and that it leaks nothing:
 * no stack trace, no source path, none of the given secrets.
 */
export function expectProblem(res: ClientResponse, status: number, code: string, secrets: readonly string[] = []): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code });
  expectNoLeak(res, secrets);
}

/** Asserts that a response body carries no stack trace, no file path and none of the secrets. */
export function expectNoLeak(res: ClientResponse, secrets: readonly string[] = []): void {
  expect(res.text).not.toMatch(/\n\s*at /);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(/);
  expect(res.text).not.toMatch(/\.(?:ts|js):\d+/);
  expect(res.text).not.toMatch(/\/(?:work|src|node_modules|home|tmp)\//);
  for (const secret of secrets) {
    if (secret.length > 0) expect(res.text).not.toContain(secret);
  }
}

/** A browser-like client of the server (sends the allowed `Origin`). */
export function browser(server: TestServer, userAgent = 'Mozilla/5.0 (TestBrowser)'): TestClient {
  return createClient(server.url, { origin: server.origin, userAgent });
}

/** Signs up; asserts 201. */
export async function signup(client: TestClient, email: string, password = PASSWORD): Promise<{ id: string; email: string; roles: string[] }> {
  const res = await client.post('/auth/signup', { json: { email, password } });
  expect(res.status, `signup ${email}: ${res.text}`).toBe(201);
  return res.body.user;
}

/** Logs in with cookie transport; asserts 200 and returns the response. */
export async function login(client: TestClient, email: string, password = PASSWORD): Promise<ClientResponse> {
  const res = await client.post('/auth/login', { json: { email, password } });
  expect(res.status, `login ${email}: ${res.text}`).toBe(200);
  return res;
}

/** Logs in with bearer transport; returns the access token. */
export async function loginBearer(client: TestClient, email: string, password = PASSWORD): Promise<string> {
  const res = await client.post('/auth/login', { json: { email, password, transport: 'bearer' } });
  expect(res.status, `bearer login ${email}: ${res.text}`).toBe(200);
  return res.body.access_token as string;
}

/** A new browser client, signed up and logged in as `email`. */
export async function newUser(server: TestServer, email: string, userAgent?: string): Promise<{ client: TestClient; user: { id: string; email: string; roles: string[] } }> {
  const client = browser(server, userAgent);
  const user = await signup(client, email);
  await login(client, email);
  return { client, user };
}

/** `Authorization: Bearer` header. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
