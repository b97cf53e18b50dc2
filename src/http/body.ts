import type { z } from 'zod';
import { TesseraError } from '../core/errors.js';
import type { HttpRequest } from './types.js';

/** The largest JSON body accepted (64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** True if the media type is JSON (`application/json` with optional parameters). */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json';
}

/**
 * Reads and validates a JSON body against a schema at the boundary.
 * @throws TesseraError `payload_too_large` over 64 KiB; `bad_request` for a wrong content type,
 * malformed JSON, invalid UTF-8 or a body that does not match the schema (the message names the field).
 */
export function readJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S, options: { optional?: boolean } = {}): z.output<S> {
  const raw = request.body;
  let value: unknown = {};
  if (raw && raw.byteLength > MAX_BODY_BYTES) throw new TesseraError('payload_too_large', 'body is larger than 64 KiB');
  if (raw && raw.byteLength > 0) {
    if (!isJson(request.headers['content-type'])) throw new TesseraError('bad_request', 'content type must be application/json');
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      throw new TesseraError('bad_request', 'body is not valid UTF-8');
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new TesseraError('bad_request', 'body is not valid JSON');
    }
  } else if (!options.optional) {
    throw new TesseraError('bad_request', 'a JSON body is required');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new TesseraError('bad_request', `${field}: ${issue ? issue.message : 'invalid'}`);
  }
  return parsed.data;
}
