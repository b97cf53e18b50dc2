import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpRequest, HttpResponse, Route } from '../../http/types.js';
import { singleValuedHeaders } from '../node-headers.js';

/**
 * Translates a Fastify request into the neutral shape. No policy here. The body is passed on only
 * when it is raw bytes (the auth routes' own parser); an app route's parsed body is never forwarded.
 */
export function toHttpRequest(request: FastifyRequest): HttpRequest {
  const body = request.body;
  return {
    method: request.method,
    path: request.url.split('?', 1)[0] ?? '/',
    params: (request.params ?? {}) as Record<string, string>,
    headers: singleValuedHeaders(request.headers),
    body: body instanceof Uint8Array ? body : null,
    ip: request.socket.remoteAddress ?? null,
  };
}

/** Writes a neutral response to a Fastify reply; every cookie becomes its own `Set-Cookie` header. */
export function sendHttpResponse(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  if (response.cookies.length > 0) reply.header('set-cookie', response.cookies);
  return reply.send(response.body ?? null);
}

/** The Fastify handler of a neutral route: the request translated, handled, and the answer written. */
export function fastifyHandler(route: Pick<Route, 'handle'>): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => sendHttpResponse(reply, await route.handle(toHttpRequest(request)));
}
