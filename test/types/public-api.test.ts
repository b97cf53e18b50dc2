/**
 * Locks the public surface: the names each entry point exports (checked at run time) and the key
 * signatures (checked by `tsc --noEmit`, which compiles this file). A change here is an API change.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Request as ExpressRequest, RequestHandler, Router } from 'express';
import { Hono, type MiddlewareHandler } from 'hono';
import * as api from '../../src/index.js';
import type { AuthResult, LogoutResult, PostureReport, RefreshTokenOptions, Principal, PublicUser, SessionInfo, Tessera, TesseraOptions, Transport } from '../../src/index.js';
import * as fastify from '../../src/adapters/fastify/index.js';
import type { TesseraFastifyOptions, TesseraPreHandler } from '../../src/adapters/fastify/index.js';
import * as express from '../../src/adapters/express/index.js';
import type { TesseraRouterOptions } from '../../src/adapters/express/index.js';
import * as hono from '../../src/adapters/hono/index.js';
import type { TesseraEnv, TesseraHonoOptions } from '../../src/adapters/hono/index.js';
import * as web from '../../src/adapters/web/index.js';
import type { WebGuard, WebHandler, WebHandlerOptions } from '../../src/adapters/web/index.js';
import * as client from '../../src/client/index.js';
import type { TesseraClient, TesseraClientOptions } from '../../src/client/index.js';

const keys = (module: object) => Object.keys(module).sort();

describe('exported names', () => {
  it('tessera', () => {
    expect(keys(api)).toEqual([
      'ALGORITHMS',
      'ConfigError',
      'MODES',
      'StoreError',
      'TesseraError',
      'createGuard',
      'createManualClock',
      'createRoutes',
      'createTessera',
      'describePosture',
      'systemClock',
    ]);
  });

  it('tessera/fastify', () => {
    expect(keys(fastify)).toEqual(['default', 'requireAuth', 'requireRole', 'sendHttpResponse', 'tesseraFastify', 'toHttpRequest']);
    expect(fastify.default).toBe(fastify.tesseraFastify);
  });

  it('tessera/express', () => {
    expect(keys(express)).toEqual(['requireAuth', 'requireRole', 'sendHttpResponse', 'tesseraRouter', 'toHttpRequest']);
  });

  it('tessera/hono', () => {
    expect(keys(hono)).toEqual(['nodeServerIp', 'requireAuth', 'requireRole', 'tesseraHono']);
  });

  it('tessera/web', () => {
    expect(keys(web)).toEqual(['createHandler', 'createWebGuard', 'toHttpRequest', 'toResponse']);
  });

  it('tessera/client', () => {
    expect(keys(client)).toEqual(['TesseraClientError', 'createTesseraClient']);
  });
});

describe('signatures', () => {
  it('createTessera and the Tessera interface', () => {
    expectTypeOf(api.createTessera).toEqualTypeOf<(options: TesseraOptions) => Tessera>();
    expectTypeOf<keyof Tessera>().toEqualTypeOf<
      | 'config'
      | 'signup'
      | 'login'
      | 'authenticate'
      | 'logout'
      | 'logoutCredential'
      | 'revokeAllForUser'
      | 'revokeSession'
      | 'listSessions'
      | 'csrfToken'
      | 'verifyCsrf'
      | 'listUsers'
      | 'setRoles'
      | 'disableUser'
      | 'enableUser'
      | 'ensureAdmin'
      | 'refresh'
      | 'logoutByRefreshToken'
      | 'refreshSession'
      | 'jwks'
      | 'posture'
      | 'ready'
      | 'close'
    >();
    expectTypeOf<Tessera['authenticate']>().toEqualTypeOf<(token: string, transport: Transport) => Promise<AuthResult>>();
    expectTypeOf<Tessera['logoutCredential']>().toEqualTypeOf<
      (token: string, transport: Transport, options?: RefreshTokenOptions) => Promise<LogoutResult>
    >();
    expectTypeOf<LogoutResult>().toEqualTypeOf<
      { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked' | 'csrf_rejected' }
    >();
    expectTypeOf<Tessera['revokeSession']>().toEqualTypeOf<(userId: string, sessionId: string) => Promise<void>>();
    expectTypeOf<Tessera['revokeAllForUser']>().toEqualTypeOf<(userId: string) => Promise<void>>();
    expectTypeOf<Tessera['setRoles']>().toEqualTypeOf<(userId: string, roles: readonly string[]) => Promise<PublicUser>>();
    expectTypeOf<Tessera['disableUser']>().toEqualTypeOf<(userId: string) => Promise<void>>();
    expectTypeOf<Tessera['listSessions']>().toEqualTypeOf<(userId: string, currentSessionId: string | null) => Promise<SessionInfo[]>>();
    expectTypeOf<Tessera['ensureAdmin']>().toEqualTypeOf<(email: string, password: string) => Promise<PublicUser>>();
    expectTypeOf<Tessera['refreshSession']>().toEqualTypeOf<(refreshToken: string) => Promise<{ sessionId: string; userId: string } | null>>();
    expectTypeOf<Tessera['posture']>().toEqualTypeOf<() => PostureReport>();
    expectTypeOf<AuthResult>().toEqualTypeOf<
      { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked' }
    >();
  });

  it('tessera/fastify', () => {
    expectTypeOf<TesseraFastifyOptions>().toEqualTypeOf<{ tessera: Tessera }>();
    expectTypeOf(fastify.requireAuth).toEqualTypeOf<TesseraPreHandler>();
    expectTypeOf(fastify.requireRole).toEqualTypeOf<(...roles: string[]) => TesseraPreHandler>();
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<Principal | null>();
    expectTypeOf<FastifyInstance['tessera']>().toEqualTypeOf<Tessera>();
    // The pre-handlers fit routes with their own typed body.
    const register = (app: FastifyInstance) =>
      app.post<{ Body: { text: string } }>('/notes', { preHandler: [fastify.requireAuth, fastify.requireRole('editor')] }, async (request) => {
        expectTypeOf(request.body.text).toEqualTypeOf<string>();
        return { by: request.auth?.user.email };
      });
    expectTypeOf(register).toBeFunction();
  });

  it('tessera/express', () => {
    expectTypeOf(express.tesseraRouter).toEqualTypeOf<(tessera: Tessera, options?: TesseraRouterOptions) => Router>();
    expectTypeOf(express.requireAuth).toEqualTypeOf<(tessera: Tessera) => RequestHandler>();
    expectTypeOf(express.requireRole).toEqualTypeOf<(tessera: Tessera, ...roles: string[]) => RequestHandler>();
    expectTypeOf<ExpressRequest['auth']>().toEqualTypeOf<Principal | undefined>();
  });

  it('tessera/hono', () => {
    expectTypeOf(hono.tesseraHono).toEqualTypeOf<(tessera: Tessera, options?: TesseraHonoOptions) => Hono>();
    expectTypeOf(hono.requireAuth).toEqualTypeOf<(tessera: Tessera) => MiddlewareHandler<TesseraEnv>>();
    expectTypeOf(hono.requireRole).toEqualTypeOf<(tessera: Tessera, ...roles: string[]) => MiddlewareHandler<TesseraEnv>>();
    // After the middleware, `c.get('auth')` is the principal, on an app without declared variables.
    const register = (app: Hono, tessera: Tessera) =>
      app.get('/me', hono.requireAuth(tessera), (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<Principal>();
        return c.json({ email: c.get('auth').user.email });
      });
    expectTypeOf(register).toBeFunction();
  });

  it('tessera/web', () => {
    expectTypeOf(web.createHandler).toEqualTypeOf<(tessera: Tessera, options?: WebHandlerOptions) => WebHandler>();
    expectTypeOf<WebHandler>().toEqualTypeOf<(request: Request, ip?: string | null) => Promise<Response>>();
    expectTypeOf(web.createWebGuard).parameter(0).toEqualTypeOf<Tessera>();
    expectTypeOf(web.createWebGuard).returns.toEqualTypeOf<WebGuard>();
    expectTypeOf(web.toHttpRequest).toEqualTypeOf<(request: Request, ip?: string | null) => Promise<api.HttpRequest>>();
    expectTypeOf(web.toResponse).toEqualTypeOf<(response: api.HttpResponse) => Response>();
  });

  it('tessera/client', () => {
    expectTypeOf(client.createTesseraClient).toEqualTypeOf<(options?: TesseraClientOptions) => TesseraClient>();
    expectTypeOf<keyof TesseraClient>().toEqualTypeOf<
      'signup' | 'login' | 'logout' | 'logoutAll' | 'me' | 'sessions' | 'revokeSession' | 'fetch'
    >();
    expectTypeOf<TesseraClient['fetch']>().toEqualTypeOf<(input: string | URL | Request, init?: RequestInit) => Promise<Response>>();
    expectTypeOf<TesseraClientOptions>().toEqualTypeOf<{
      baseUrl?: string;
      credentials?: 'same-origin' | 'include';
      refresh?: 'auto' | boolean;
    }>();
  });
});
