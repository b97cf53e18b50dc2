import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_BODY_BYTES } from '../http/body.js';
import { API_SECURITY_HEADERS } from '../http/respond.js';
import type { ClientErrorReason } from './metrics.js';

/**
 * The reference server's request limits, in one place:
 * - headers: 16 KiB in total (request line included), set explicitly rather than inherited from
 *   `--max-http-header-size`; more is answered 431 by `handleClientError`;
 * - body: 64 KiB on every Tessera route (413 `payload_too_large`), 1 KiB on the demo routes;
 * - cookies: the first 64 `name=value` pairs of the `Cookie` header are read, the rest ignored
 *   (`parseCookies`); a credential cookie past them is simply not seen (401, never 5xx);
 * - credential: 8 KiB (`MAX_CREDENTIAL_LENGTH`), access token 8 KiB, CSRF token 128 characters;
 * - URL path parameters: 256 characters (400).
 */
export const LIMITS = Object.freeze({
  headerBytes: 16 * 1024,
  bodyBytes: MAX_BODY_BYTES,
  cookies: 64,
  paramLength: 256,
});

const answered = new WeakSet<Socket>();

/** The status, reason label and sentence for an error of Node's HTTP parser. */
function classify(code: string | undefined): { status: number; reason: ClientErrorReason; detail: string } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'header_overflow', detail: `the request headers are larger than ${LIMITS.headerBytes / 1024} KiB` };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, reason: 'timeout', detail: 'the request did not arrive in time' };
  return { status: 400, reason: 'malformed', detail: 'the request is not valid HTTP/1.1' };
}

/**
 * The raw response for a request Node refused before Fastify saw it: a complete HTTP/1.1 message
 * with a problem+json body (RFC 9457), the API security headers and `Connection: close`. Nothing of
 * the request is echoed.
 */
export function clientErrorResponse(status: number, detail: string): string {
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({ type: 'https://tessera.dev/problems/bad-request', title, status, code: 'bad_request', detail });
  const headers = [
    `HTTP/1.1 ${status} ${title}`,
    'content-type: application/problem+json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...Object.entries(API_SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Fastify's `clientErrorHandler` for the reference server: a header overflow gets 431, a request
 * timeout 408 and any other parse error 400, each as problem+json; then the connection is closed.
 * A reset connection is left alone (nothing to answer), as Fastify does.
 */
export function createClientErrorHandler(
  onError?: (reason: ClientErrorReason, status: number) => void,
): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const { status, reason, detail } = classify(err.code);
    onError?.(reason, status);
    // A response already under way on this connection (pipelining) must not be interleaved with ours.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      // end() sends our response, then FIN; the server keeps reading (and discarding) what the client
      // still sends, so closing does not turn into a reset that could eat the response.
      socket.end(clientErrorResponse(status, detail));
      const timer = setTimeout(() => socket.destroy(), 2000).unref();
      socket.once('close', () => clearTimeout(timer));
    } else {
      socket.destroy();
    }
  };
}
