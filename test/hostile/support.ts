/** Shared set-up of the hostile-input tests. Not a test file itself. */
import { connect } from 'node:net';
import { expect } from 'vitest';
import type { ClientResponse } from '../helpers/client.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

export const PASSWORD = 'correct horse battery';
/** Cheap argon2id (these tests are about parsing, not hashing cost) and roomy rate limits. */
export const CHEAP = { password: { memoryKiB: 1024, timeCost: 1 } } as const;

/** The reference server on the memory store with cheap password hashing. */
export function startHostileServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({ store: 'memory', ...options, tessera: { ...CHEAP, ...options.tessera } });
}

/** The base64url alphabet (RFC 4648 §5). */
export const BASE64URL_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
/** Replacements tried at every position: base64url characters, the JWS separator, and a few that are neither. */
export const REPLACEMENTS = ['A', 'Q', 'g', 'w', 'z', '0', '-', '_', '.', '=', '%', ' ', '+', '/'];

/**
 * Every single-character substitution of `value` (the original character skipped) and every
 * deletion. At every position the few `REPLACEMENTS` are tried; at the last two characters of each
 * `.`-separated segment, the whole base64url alphabet, since a decoder ignores the unused low bits
 * of a final character (RFC 4648 §3.5), which is where a lenient parser would accept a change.
 */
export function* singleByteMutations(value: string, replacements: readonly string[] = REPLACEMENTS): Generator<{ at: number; mutated: string }> {
  for (let at = 0; at < value.length; at++) {
    const segmentEnd = at + 1 === value.length || value[at + 1] === '.' || value[at + 2] === '.' || at + 2 === value.length;
    const chars = segmentEnd ? new Set([...replacements, ...BASE64URL_CHARS]) : replacements;
    for (const c of chars) {
      if (c === value[at]) continue;
      yield { at, mutated: value.slice(0, at) + c + value.slice(at + 1) };
    }
    yield { at, mutated: value.slice(0, at) + value.slice(at + 1) };
  }
}

/** A response read from a raw socket. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: string;
  /** True if the server closed the connection. */
  closed: boolean;
}

/**
 * Sends `request` as raw bytes to 127.0.0.1:`port` and reads one response (until Content-Length
 * bytes arrived, or with `untilClose` until the server closes the connection). Lets a test send
 * bytes `fetch` would refuse to send.
 */
export function rawRequest(port: number, request: Buffer | string, options: { untilClose?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) {
        if (closed) {
          settled = true;
          reject(new Error(`connection closed without a response (${raw.length} bytes)`));
        }
        return;
      }
      const head = raw.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const body = raw.subarray(end + 4);
      const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      if (!closed && (options.untilClose || length === undefined || body.length < length)) return;
      settled = true;
      socket.destroy();
      resolve({ status, headers, body: body.subarray(0, length ?? body.length).toString('utf8'), closed });
    };
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(new Error('raw request timed out'));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      finish(false);
    });
    // The server may close (after a 4xx) while we still write: what it sent first is still read.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(request);
  });
}

/** A GET of `path` with one extra raw header line (bytes as given, latin1), `Connection: close`. */
export function rawGetWithHeader(port: number, path: string, name: string, value: Uint8Array): Promise<RawResponse> {
  const head = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${name}: `, 'latin1');
  return rawRequest(port, Buffer.concat([head, value, Buffer.from('\r\n\r\n', 'latin1')]));
}

/** Asserts a 4xx that is RFC 9457 problem+json (status and `code` consistent). */
export function expectProblem4xx(status: number, contentType: string | null | undefined, body: string): void {
  expect(status, body).toBeGreaterThanOrEqual(400);
  expect(status, body).toBeLessThan(500);
  expect(contentType ?? '').toMatch(/^application\/problem\+json\b/);
  const parsed = JSON.parse(body) as { status?: unknown; code?: unknown };
  expect(parsed.status).toBe(status);
  expect(typeof parsed.code).toBe('string');
}

/** Asserts a client response is a 4xx problem. */
export function expectClientProblem(res: ClientResponse): void {
  expectProblem4xx(res.status, res.headers.get('content-type'), res.text);
}
