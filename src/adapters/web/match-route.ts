import type { Route } from '../../http/types.js';

/** A matched route and its decoded path parameters. */
export interface RouteMatch {
  route: Route;
  params: Readonly<Record<string, string>>;
}

interface PatternRoute {
  route: Route;
  /** Literal segments as strings, parameters as `{ name }`. */
  segments: Array<string | { name: string }>;
}

/**
 * Builds the matcher for a route table once: literal paths in a map, `:param` patterns compared
 * segment by segment. Returns null for a path no route of that method matches.
 * @example const match = createRouteMatcher(routes); match('DELETE', '/auth/sessions/abc');
 */
export function createRouteMatcher(routes: readonly Route[]): (method: string, path: string) => RouteMatch | null {
  const literal = new Map<string, Route>();
  const patterns = new Map<string, PatternRoute[]>();
  for (const route of routes) {
    if (!route.path.includes('/:')) {
      literal.set(`${route.method} ${route.path}`, route);
      continue;
    }
    const segments = route.path.split('/').map((s) => (s.startsWith(':') ? { name: s.slice(1) } : s));
    const list = patterns.get(route.method) ?? [];
    list.push({ route, segments });
    patterns.set(route.method, list);
  }
  const empty = Object.freeze({});

  return (method, path) => {
    const upper = method.toUpperCase();
    const exact = literal.get(`${upper} ${path}`);
    if (exact) return { route: exact, params: empty };
    const candidates = patterns.get(upper);
    if (!candidates) return null;
    const parts = path.split('/');
    outer: for (const { route, segments } of candidates) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        const part = parts[i]!;
        if (typeof segment === 'string') {
          if (segment !== part) continue outer;
          continue;
        }
        if (part === '') continue outer;
        try {
          params[segment.name] = decodeURIComponent(part);
        } catch {
          continue outer;
        }
      }
      return { route, params };
    }
    return null;
  };
}
