import type { Request, Response } from 'express';
import type { HttpRequest, HttpResponse } from '../../http/types.js';
import { singleValuedHeaders } from '../node-headers.js';

/** Translates an Express request into the neutral shape (body as given: bytes or null). */
export function toHttpRequest(req: Request, body: Uint8Array | null = null): HttpRequest {
  // originalUrl: the full path even inside a mounted router.
  return {
    method: req.method,
    path: req.originalUrl.split('?', 1)[0] ?? '/',
    params: { ...(req.params as Record<string, string>) },
    headers: singleValuedHeaders(req.headers),
    body,
    ip: req.socket.remoteAddress ?? null,
  };
}

/** Writes a neutral response; cookies are appended, so ones the app already set survive. */
export function sendHttpResponse(res: Response, response: HttpResponse): void {
  res.status(response.status);
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  for (const cookie of response.cookies) res.append('Set-Cookie', cookie);
  res.end(response.body);
}
