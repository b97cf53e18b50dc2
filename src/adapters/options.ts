import type { Tessera } from '../core/tessera.js';

/**
 * Checks that an adapter was given a Tessera instance (misuse throws at set-up, never per request).
 * @throws TypeError naming the adapter.
 */
export function assertTessera(value: unknown, adapter: string): Tessera {
  const candidate = value as Partial<Tessera> | null | undefined;
  if (!candidate || typeof candidate.authenticate !== 'function' || typeof candidate.posture !== 'function' || !candidate.config) {
    throw new TypeError(`${adapter}: the \`tessera\` option (from createTessera) is required`);
  }
  return candidate as Tessera;
}

/**
 * Checks the roles given to a `requireRole`: at least one, each a non-empty string.
 * @throws TypeError naming the helper.
 */
export function assertRoles(roles: readonly unknown[], helper: string): readonly string[] {
  if (roles.length === 0) throw new TypeError(`${helper}: give at least one role`);
  for (const role of roles) {
    if (typeof role !== 'string' || role.length === 0) throw new TypeError(`${helper}: roles must be non-empty strings`);
  }
  return Object.freeze([...(roles as string[])]);
}
