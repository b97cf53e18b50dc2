/** Shared set-up and assertions of the HTTP tests of the jwt postures. Not a test file itself. */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { expect } from 'vitest';
import type { Algorithm, Mode } from '../../src/core/config.js';
import { createClient, type ClientResponse, type TestClient } from '../helpers/client.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { bearer, expectProblem, PASSWORD } from './support.js';

export const ACCESS_COOKIE = '__Host-tessera_at';
export const REFRESH_COOKIE = '__Secure-tessera_rt';
/** Opaque refresh tokens: 32 random bytes, base64url without padding. */
export const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** An HS256 secret of 48 bytes (the contract asks for ≥ 32). */
export const HS256_SECRET = 'tessera-test-hs256-secret-0123456789-abcdefghij';
/** The default refresh grace window (config `jwt.refreshGraceSeconds`), in seconds. */
export const GRACE_S = 10;
export const ADMIN = { email: 'root@example.com', password: 'admin password 1' } as const;
/** The postures that issue JWTs. */
export type JwtMode = Exclude<Mode, 'session'>;
export const JWT_MODES: readonly JwtMode[] = ['jwt', 'jwt-denylist', 'jwt-push'];
export const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

/** The verifier's clock tolerance of a running server (config `jwt.clockToleranceSeconds`), in seconds. */
export function toleranceS(server: TestServer): number {
  return server.tessera.config.jwt.clockToleranceSeconds;
}

/** Options of `startJwtServer`. */
export interface JwtServerOptions extends TestServerOptions {
  /** Bootstrap `ADMIN` as an admin account. */
  withAdmin?: boolean;
}

/**
 * The real server in a jwt posture (default `jwt`, EdDSA), fresh SQLite, manual clock. The HS256
 * secret is supplied when the algorithm asks for it. Password hashing is made cheap (argon2id
 * m=1 MiB, t=1): these tests are about tokens, and every `it` starts its own server.
 */
export async function startJwtServer(options: JwtServerOptions = {}): Promise<TestServer> {
  const { withAdmin, ...rest } = options;
  const algorithm = rest.algorithm ?? 'EdDSA';
  return startTestServer({
    ...rest,
    mode: rest.mode ?? 'jwt',
    algorithm,
    ...(algorithm === 'HS256' && rest.jwtSecret === undefined ? { jwtSecret: HS256_SECRET } : {}),
    ...(withAdmin ? { adminEmail: ADMIN.email, adminPassword: ADMIN.password } : {}),
    tessera: { ...rest.tessera, password: { memoryKiB: 1024, timeCost: 1, ...rest.tessera?.password } },
  });
}

/** Tokens of a bearer login or refresh. */
export interface BearerTokens {
  access: string;
  refresh: string;
  expiresIn: number;
  body: any;
}

/** Signs `email` up (no Origin: a non-browser client); asserts 201 and returns the user. */
export async function signupUser(server: TestServer, email: string, password = PASSWORD): Promise<{ id: string; email: string; roles: string[] }> {
  const res = await createClient(server.url).post('/auth/signup', { json: { email, password } });
  expect(res.status, `signup ${email}: ${res.text}`).toBe(201);
  return res.body.user;
}

/** Logs in with `transport: "bearer"`; asserts 200 and the token fields. */
export async function bearerLogin(server: TestServer, email: string, password = PASSWORD, userAgent?: string): Promise<BearerTokens> {
  const client = createClient(server.url, userAgent === undefined ? {} : { userAgent });
  const res = await client.post('/auth/login', { json: { email, password, transport: 'bearer' } });
  expect(res.status, `bearer login ${email}: ${res.text}`).toBe(200);
  expect(typeof res.body.access_token).toBe('string');
  expect(typeof res.body.refresh_token).toBe('string');
  return { access: res.body.access_token, refresh: res.body.refresh_token, expiresIn: res.body.expires_in, body: res.body };
}

/** Signs up and logs in with bearer transport. */
export async function bearerUser(server: TestServer, email: string): Promise<BearerTokens & { user: { id: string; email: string; roles: string[] } }> {
  const user = await signupUser(server, email);
  return { ...(await bearerLogin(server, email)), user };
}

/** `POST /auth/refresh` with `{refresh_token}` (a non-browser client). */
export function refreshBearer(server: TestServer, refreshToken: string, headers: Record<string, string> = {}): Promise<ClientResponse> {
  return createClient(server.url).post('/auth/refresh', { json: { refresh_token: refreshToken }, headers });
}

/** `GET /auth/me` with a bearer token. */
export function me(server: TestServer, accessToken: string): Promise<ClientResponse> {
  return createClient(server.url).get('/auth/me', { headers: bearer(accessToken) });
}

/** A non-browser client's request with a bearer token. */
export function bearerRequest(server: TestServer, method: string, path: string, accessToken: string, json?: unknown): Promise<ClientResponse> {
  return createClient(server.url).request(method, path, { headers: bearer(accessToken), ...(json === undefined ? {} : { json }) });
}

/**
 * Asserts the RFC 6750 rejection of a bearer request: 401 problem+json with the code and
 * `WWW-Authenticate: Bearer … error="invalid_token"`, leaking none of the secrets.
 */
export function expectInvalidToken(res: ClientResponse, code: 'unauthenticated' | 'token_expired' = 'unauthenticated', secrets: readonly string[] = []): void {
  expectProblem(res, 401, code, secrets);
  expect(res.headers.get('www-authenticate') ?? '').toMatch(/^Bearer\b.*\berror="invalid_token"/);
}

/** base64url of a JSON value or of bytes. */
export function b64url(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** A compact JWS with an arbitrary header and payload and the given signature part (no signing). */
export function unsignedCompact(header: object, payload: object, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/** A compact JWS with header `alg: HS256` (whatever the header says), HMAC-SHA256 under `secret`. */
export function hmacCompact(header: object, payload: object, secret: Uint8Array | string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Signs a compact JWS with any protected header and payload (crit extensions may be declared). */
export async function signCompact(
  header: Record<string, unknown> & { alg: string },
  payload: object,
  key: Parameters<CompactSign['sign']>[0],
  crit?: Record<string, boolean>,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(key, crit === undefined ? undefined : { crit });
}

/**
 * The server's current signing key, read from its store (asymmetric algorithms) or the configured
 * secret (HS256), with the `kid` the server puts in its tokens. Lets a test forge a token the
 * server would accept but for one defect, so each attack row tests exactly that defect.
 */
export async function serverSigningKey(server: TestServer, sampleToken: string): Promise<{ kid: string; key: Parameters<CompactSign['sign']>[0] }> {
  const alg = server.tessera.config.jwt.algorithm;
  const kid = decodeProtectedHeader(sampleToken).kid as string;
  if (alg === 'HS256') return { kid, key: new TextEncoder().encode(server.tessera.config.jwt.secrets[0]!) };
  const stored = (await server.store.keys.list()).find((k) => k.kid === kid);
  if (!stored) throw new Error(`the server's key ${kid} is not in its store`);
  return { kid, key: await importJWK(JSON.parse(stored.privateJwk) as JWK, alg) };
}

/** The decoded header and claims of a token. */
export function decode(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  return { header: decodeProtectedHeader(token) as Record<string, unknown>, claims: decodeJwt(token) as Record<string, unknown> };
}

/** A loopback HTTP listener that counts every TCP connection and request made to it. */
export interface CountingListener {
  url: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** Starts a listener on 127.0.0.1 that answers every request with `body` (a JWKS, say). */
export async function startCountingListener(body: string): Promise<CountingListener> {
  const state = { connections: 0, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An admin's bearer access token (server started with `withAdmin`). */
export async function adminToken(server: TestServer): Promise<string> {
  return (await bearerLogin(server, ADMIN.email, ADMIN.password)).access;
}

/** `PUT /admin/users/:id/roles` as the admin; asserts 200. */
export async function setRoles(server: TestServer, admin: string, userId: string, roles: string[]): Promise<void> {
  const res = await bearerRequest(server, 'PUT', `/admin/users/${userId}/roles`, admin, { roles });
  expect(res.status, res.text).toBe(200);
}

/** `POST /admin/users/:id/disable` as the admin; asserts 204. */
export async function disableUser(server: TestServer, admin: string, userId: string): Promise<void> {
  const res = await bearerRequest(server, 'POST', `/admin/users/${userId}/disable`, admin);
  expect(res.status, res.text).toBe(204);
}

/** The browser's cookie of `name` from a response's Set-Cookie headers. */
export function setCookieOf(res: ClientResponse, name: string) {
  return res.setCookies.find((c) => c.name === name);
}

/** A logged-in browser (cookie transport) that sends the server's allowed Origin. */
export async function cookieLogin(server: TestServer, email: string, userAgent = 'Mozilla/5.0 (TestBrowser)'): Promise<{ client: TestClient; res: ClientResponse }> {
  const client = createClient(server.url, { origin: server.origin, userAgent });
  const res = await client.post('/auth/login', { json: { email, password: PASSWORD } });
  expect(res.status, `cookie login ${email}: ${res.text}`).toBe(200);
  return { client, res };
}
