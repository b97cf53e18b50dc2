/**
 * A deliberately vulnerable stand-in for Tessera, for the audit's red tests only: a tiny node:http
 * server speaking enough of API.md for `tessera audit` to run, with the classic mistakes built in.
 * It never ships; nothing in the product can be made to behave like this.
 *
 * Its flaws: cookies without HttpOnly (and, in jwt mode, a refresh cookie on Path=/), tokens in
 * the cookie-login body, no CSRF check anywhere (login, signup and the refresh cookie included), a pre-login session
 * cookie adopted at login, logout and logout-all that revoke nothing, `alg: none` accepted (any
 * case), refresh tokens that never die (a replay mints a new, different successor), and in jwt
 * mode a posture that claims `window_ms: 0` without any per-request lookup.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running vulnerable server. */
export interface VulnerableServer {
  url: string;
  close(): Promise<void>;
}

type Flavour = 'session' | 'jwt';

const ACCESS_TTL_S = 600;

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  try {
    const value = JSON.parse(text || '{}') as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Starts the vulnerable server on 127.0.0.1 in the `session` or `jwt` flavour. */
export async function startVulnerableServer(flavour: Flavour): Promise<VulnerableServer> {
  const secret = randomBytes(32);
  const users = new Map<string, { id: string; email: string; password: string }>();
  const sessions = new Map<string, string>();
  const refreshTokens = new Map<string, string>();

  const signJwt = (userId: string): string => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${b64({ iss: 'vuln', aud: 'vuln', sub: userId, sid: 'x', roles: [], jti: randomUUID(), iat: now, exp: now + ACCESS_TTL_S })}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };

  /** The classic mistake: the token's own header chooses the algorithm, and "none" is trusted. */
  const verifyJwt = (token: string): string | null => {
    const [h = '', p = '', s = ''] = token.split('.');
    try {
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { sub?: string; exp?: number };
      if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) return null;
      if (String(header.alg).toLowerCase() === 'none') return payload.sub ?? null;
      if (header.alg !== 'HS256') return null;
      const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
      return s === expected ? (payload.sub ?? null) : null;
    } catch {
      return null;
    }
  };

  const authenticate = (req: IncomingMessage): string | null => {
    const auth = req.headers.authorization;
    const cookies = parseCookies(req.headers.cookie);
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : flavour === 'session' ? cookies.get('__Host-tessera_sid') : cookies.get('__Host-tessera_at');
    if (!token) return null;
    return flavour === 'session' ? (sessions.get(token) ?? null) : verifyJwt(token);
  };

  const send = (res: ServerResponse, status: number, body?: unknown, cookies: string[] = []) => {
    if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    if (body === undefined) return void res.writeHead(status).end();
    const problem = status >= 400;
    res.writeHead(status, { 'content-type': problem ? 'application/problem+json' : 'application/json' }).end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string) => send(res, status, { type: 'about:blank', title: code, status, code });

  const posture = {
    mode: flavour,
    access_ttl_s: flavour === 'jwt' ? ACCESS_TTL_S : null,
    // The lie of the jwt flavour: "instant" revocation with nothing that could make it so.
    revocation: { mechanism: 'trust us', per_request_lookup: flavour === 'session', window_ms: 0, events: { logout: 0, logout_all: 0, disable: 0, role_change: 0 } },
    algorithms: flavour === 'jwt' ? ['HS256'] : [],
    store: 'memory',
    warnings: [],
  };

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const key = `${req.method} ${path}`;
      if (key === 'GET /auth/posture') return send(res, 200, posture);
      if (key === 'GET /healthz') return send(res, 200, { status: 'ok' });
      if (key === 'POST /auth/signup') {
        const body = await readBody(req);
        const email = String(body.email).toLowerCase();
        if (users.has(email)) return fail(res, 409, 'conflict');
        const user = { id: randomUUID(), email, password: String(body.password) };
        users.set(email, user);
        return send(res, 201, { user: { id: user.id, email, roles: [] } });
      }
      if (key === 'POST /auth/login') {
        const body = await readBody(req);
        const user = users.get(String(body.email).toLowerCase());
        if (!user || user.password !== body.password) return fail(res, 401, 'invalid_credentials');
        const publicUser = { id: user.id, email: user.email, roles: [] };
        if (flavour === 'session') {
          // Session fixation: a session id the browser already has is kept.
          const sid = parseCookies(req.headers.cookie).get('__Host-tessera_sid') ?? randomBytes(32).toString('base64url');
          sessions.set(sid, user.id);
          if (body.transport === 'bearer') return send(res, 200, { user: publicUser, token_type: 'Bearer', access_token: sid, expires_in: 3600 });
          return send(res, 200, { user: publicUser, csrf_token: 'unused', access_token: sid }, [`__Host-tessera_sid=${sid}; Path=/; Secure; SameSite=Lax`]);
        }
        const access = signJwt(user.id);
        const refresh = randomBytes(32).toString('base64url');
        refreshTokens.set(refresh, user.id);
        if (body.transport === 'bearer') return send(res, 200, { user: publicUser, token_type: 'Bearer', access_token: access, refresh_token: refresh, expires_in: ACCESS_TTL_S });
        return send(res, 200, { user: publicUser, csrf_token: 'unused', access_token: access }, [
          `__Host-tessera_at=${access}; Path=/; Secure; SameSite=Lax`,
          `__Secure-tessera_rt=${refresh}; Path=/; HttpOnly; Secure; SameSite=Strict`,
        ]);
      }
      if (key === 'POST /auth/refresh' && flavour === 'jwt') {
        const body = await readBody(req);
        // The refresh cookie is enough: no CSRF token asked for.
        const cookie = parseCookies(req.headers.cookie).get('__Secure-tessera_rt');
        const userId = refreshTokens.get(String(body.refresh_token ?? cookie));
        if (!userId) return fail(res, 401, 'unauthenticated');
        // Never rotated out, never checked for reuse.
        const refresh = randomBytes(32).toString('base64url');
        refreshTokens.set(refresh, userId);
        if (body.refresh_token === undefined) {
          return send(res, 200, { csrf_token: 'unused', expires_in: ACCESS_TTL_S }, [
            `__Host-tessera_at=${signJwt(userId)}; Path=/; Secure; SameSite=Lax`,
            `__Secure-tessera_rt=${refresh}; Path=/; HttpOnly; Secure; SameSite=Strict`,
          ]);
        }
        return send(res, 200, { token_type: 'Bearer', access_token: signJwt(userId), refresh_token: refresh, expires_in: ACCESS_TTL_S });
      }
      const userId = authenticate(req);
      if (key === 'GET /auth/me') {
        if (!userId) return fail(res, 401, 'unauthenticated');
        const user = [...users.values()].find((u) => u.id === userId);
        return send(res, 200, { user: { id: userId, email: user?.email ?? '', roles: [] }, mode: flavour });
      }
      // No CSRF check, and nothing is revoked.
      if (key === 'POST /auth/logout' || key === 'POST /auth/logout-all') return userId ? send(res, 204) : fail(res, 401, 'unauthenticated');
      return fail(res, 404, 'not_found');
    })().catch(() => fail(res, 500, 'internal'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
