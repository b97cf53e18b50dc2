import type { IncomingHttpHeaders } from 'node:http';

/**
 * Node's request headers in the neutral shape: every repeated header joined with `, `. Node
 * already joins all but a few (`set-cookie` stays an array), so the object is passed on as it is
 * unless it holds an array: no copy per request. The neutral layer only reads it.
 */
export function singleValuedHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  for (const name in headers) {
    if (Array.isArray(headers[name])) {
      const joined: Record<string, string | undefined> = {};
      for (const [key, value] of Object.entries(headers)) joined[key] = Array.isArray(value) ? value.join(', ') : value;
      return joined;
    }
  }
  return headers as Record<string, string | undefined>;
}
