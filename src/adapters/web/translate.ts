import { TesseraError } from '../../core/errors.js';
import { MAX_BODY_BYTES } from '../../http/body.js';
import type { HttpRequest, HttpResponse } from '../../http/types.js';

/** The neutral request without its body (what the guard needs: method, path, headers). */
export function requestHead(request: Request, ip: string | null = null, params: Readonly<Record<string, string>> = {}): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  // Headers iterates lower-cased names with repeated values already joined by `, `.
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { method: request.method.toUpperCase(), path: new URL(request.url).pathname, params, headers, body: null, ip };
}

/**
 * Reads a body stream up to the limit, refusing more without buffering it.
 * @throws TesseraError `payload_too_large`, `bad_request` when the stream fails.
 */
export async function readBodyBytes(request: Request, limitBytes: number = MAX_BODY_BYTES): Promise<Uint8Array | null> {
  if (!request.body) return null;
  const tooLarge = () => new TesseraError('payload_too_large', `body is larger than ${limitBytes / 1024} KiB`);
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limitBytes) throw tooLarge();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limitBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof TesseraError) throw err;
    throw new TesseraError('bad_request', 'the request body could not be read', { cause: err });
  }
  if (total === 0) return null;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Translates a web-standard `Request` into the neutral shape, reading the body (at most 64 KiB).
 * `ip` is the client's address, which a `Request` does not carry: pass what the runtime gives.
 * @throws TesseraError `payload_too_large` over 64 KiB; `bad_request` when the body cannot be read.
 * @example const neutral = await toHttpRequest(request, info.remoteAddr.hostname);
 */
export async function toHttpRequest(request: Request, ip?: string | null): Promise<HttpRequest> {
  const head = requestHead(request, typeof ip === 'string' ? ip : null);
  return { ...head, body: await readBodyBytes(request) };
}

/**
 * Translates a neutral response into a web-standard `Response`; each cookie is appended as its own
 * `Set-Cookie` header (RFC 6265bis §3: they must never be folded into one).
 * @example return toResponse(await route.handle(neutral));
 */
export function toResponse(response: HttpResponse): Response {
  const headers = new Headers(response.headers);
  for (const cookie of response.cookies) headers.append('set-cookie', cookie);
  return new Response(response.body ?? null, { status: response.status, headers });
}
