import { z } from 'zod';
import type { Tessera } from '../../core/tessera.js';
import { assertRole, requirePrincipal, type GuardOptions } from '../auth.js';
import { readJsonBody } from '../body.js';
import { json, noContent } from '../respond.js';
import type { HttpRequest, Route } from '../types.js';
import type { RouteDefiner } from './auth.js';

const rolesSchema = z.object({ roles: z.array(z.string().max(64)).max(32) });

/** The admin routes of API.md: role `admin` required. */
export function adminRoutes(tessera: Tessera, guard: GuardOptions, define: RouteDefiner): Route[] {
  const requireAdmin = async (request: HttpRequest) => {
    const principal = await requirePrincipal(tessera, request, guard);
    assertRole(principal, 'admin');
    return principal;
  };
  return [
    define('GET', '/admin/users', async (request) => {
      await requireAdmin(request);
      return json(200, { users: await tessera.listUsers({ limit: 1000 }) });
    }),
    define('PUT', '/admin/users/:id/roles', async (request) => {
      await requireAdmin(request);
      const { roles } = readJsonBody(request, rolesSchema);
      const user = await tessera.setRoles(request.params.id ?? '', roles);
      return json(200, { user });
    }),
    define('POST', '/admin/users/:id/disable', async (request) => {
      await requireAdmin(request);
      await tessera.disableUser(request.params.id ?? '');
      return noContent();
    }),
    define('POST', '/admin/users/:id/enable', async (request) => {
      await requireAdmin(request);
      await tessera.enableUser(request.params.id ?? '');
      return noContent();
    }),
  ];
}
