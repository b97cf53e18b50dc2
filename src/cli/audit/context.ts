import { randomBytes } from 'node:crypto';
import { Browser, describe, send, type HttpResult } from './http.js';

/** PASS, FAIL, or SKIP (the check does not apply to this posture). */
export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

/** One row of the audit table. */
export interface CheckResult {
  id: string;
  status: CheckStatus;
  detail: string;
}

/** The parts of `GET /auth/posture` the audit relies on. */
export interface ClaimedPosture {
  mode: 'session' | 'jwt' | 'jwt-denylist' | 'jwt-push';
  access_ttl_s: number | null;
  revocation: {
    mechanism: string;
    per_request_lookup: boolean;
    window_ms: number;
    events: { logout: number; logout_all: number; disable: number; role_change: number };
  };
  algorithms: string[];
  [other: string]: unknown;
}

/** Tokens of a bearer login. */
export interface BearerLogin {
  access: string;
  refresh: string | undefined;
  body: any;
}

/** A check failed because an expectation did not hold; its message is the FAIL detail. */
export class CheckFailed extends Error {}
/** A check does not apply; its message is the SKIP reason. */
export class CheckSkipped extends Error {}

/** Everything the checks share: the target, the audit account, and how to log in. */
export class AuditContext {
  readonly results: CheckResult[] = [];
  /** Access tokens seen during the run (the attack table reuses an expired one if there is one). */
  readonly accessTokens: string[] = [];
  readonly notes: string[] = [];
  posture: ClaimedPosture | undefined;

  constructor(
    readonly base: string,
    readonly origin: string,
    readonly email: string,
    readonly password: string,
    private readonly onProgress: (text: string) => void,
  ) {}

  /** An origin no deployment allows. */
  readonly foreignOrigin = 'https://evil.example';

  get mode(): ClaimedPosture['mode'] {
    return this.posture?.mode ?? 'session';
  }

  get jwtMode(): boolean {
    return this.mode !== 'session';
  }

  /** The cookie that carries the per-request credential in this posture. */
  get credentialCookie(): string {
    return this.jwtMode ? '__Host-tessera_at' : '__Host-tessera_sid';
  }

  /** Runs one check and records its row; an unexpected error is a FAIL naming it. */
  async check(id: string, body: () => Promise<string>): Promise<CheckResult> {
    this.onProgress(id);
    let result: CheckResult;
    try {
      result = { id, status: 'PASS', detail: await body() };
    } catch (err) {
      if (err instanceof CheckSkipped) result = { id, status: 'SKIP', detail: err.message };
      else result = { id, status: 'FAIL', detail: err instanceof Error ? err.message : String(err) };
    }
    this.results.push(result);
    return result;
  }

  skip(id: string, reason: string): void {
    this.results.push({ id, status: 'SKIP', detail: reason });
  }

  /** A new browser (cookie jar) sending this deployment's Origin. */
  browser(): Browser {
    return new Browser(this.base, this.origin);
  }

  get(path: string, bearer?: string): Promise<HttpResult> {
    return send(this.base, 'GET', path, bearer === undefined ? {} : { bearer });
  }

  post(path: string, options: { json?: unknown; bearer?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    return send(this.base, 'POST', path, options);
  }

  /** A cookie login in `browser`. @throws CheckFailed unless 200. */
  async cookieLogin(browser: Browser): Promise<HttpResult> {
    const res = await browser.request('POST', '/auth/login', { json: { email: this.email, password: this.password } });
    if (res.status !== 200) throw new CheckFailed(`cookie login failed: ${describe(res)}`);
    return res;
  }

  /** A bearer login (a non-browser client: no Origin). @throws CheckFailed unless 200 with a token. */
  async bearerLogin(): Promise<BearerLogin> {
    const res = await this.post('/auth/login', { json: { email: this.email, password: this.password, transport: 'bearer' } });
    if (res.status !== 200 || typeof res.body?.access_token !== 'string') throw new CheckFailed(`bearer login failed: ${describe(res)}`);
    const access = res.body.access_token as string;
    this.accessTokens.push(access);
    return { access, refresh: typeof res.body.refresh_token === 'string' ? res.body.refresh_token : undefined, body: res.body };
  }

  /** `GET /auth/me` with a bearer token. */
  me(access: string): Promise<HttpResult> {
    return this.get('/auth/me', access);
  }

  /** `POST /auth/refresh` with a refresh token in the body. */
  refresh(token: string): Promise<HttpResult> {
    return this.post('/auth/refresh', { json: { refresh_token: token } });
  }

  /** Re-reads the claimed posture (jwt-push measures its window as it runs). */
  async freshPosture(): Promise<ClaimedPosture> {
    const res = await this.get('/auth/posture');
    if (res.status === 200 && isPosture(res.body)) this.posture = res.body;
    if (!this.posture) throw new CheckFailed(`GET /auth/posture: ${describe(res)}`);
    return this.posture;
  }
}

/** True if `value` has the shape of a posture report. */
export function isPosture(value: unknown): value is ClaimedPosture {
  const p = value as ClaimedPosture | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    ['session', 'jwt', 'jwt-denylist', 'jwt-push'].includes(p.mode) &&
    typeof p.revocation === 'object' &&
    p.revocation !== null &&
    typeof p.revocation.window_ms === 'number' &&
    typeof p.revocation.per_request_lookup === 'boolean' &&
    typeof p.revocation.events === 'object' &&
    p.revocation.events !== null &&
    ['logout', 'logout_all', 'disable', 'role_change'].every((k) => typeof (p.revocation.events as Record<string, unknown>)[k] === 'number') &&
    Array.isArray(p.algorithms)
  );
}

/** A random email under the reserved `.invalid` TLD (RFC 2606): never a real mailbox. */
export function auditEmail(): string {
  return `audit-${randomBytes(6).toString('hex')}@example.invalid`;
}

/** A random password good for any reasonable policy. */
export function auditPassword(): string {
  return `Audit-${randomBytes(18).toString('base64url')}`;
}

/** The decoded payload of a JWT, or null (no verification: the audit reads what anyone can). */
export function jwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const value = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The decoded header of a JWT, or null. */
export function jwtHeader(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const value = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** @throws CheckFailed on a 5xx: a defence that crashes is not a defence. */
export function noServerError(res: HttpResult, what: string): void {
  if (res.status >= 500) throw new CheckFailed(`${what}: server error ${res.status}`);
}
