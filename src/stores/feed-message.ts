import type { FeedMessage } from './types.js';

/**
 * The payload published for a revocation (Redis PUBLISH, PostgreSQL NOTIFY): JSON of exactly the
 * fields of its kind, so nothing else a caller's object may carry goes on the wire. Far below
 * NOTIFY's 8000-byte payload limit.
 */
export function encodeFeedMessage(message: FeedMessage): string {
  return JSON.stringify(copyFeedMessage(message));
}

/**
 * Parses a published payload into a revocation, or null when it is not one: not JSON, an unknown
 * kind, a missing or mistyped field. Anyone who can connect may PUBLISH / NOTIFY on the channel; a
 * malformed message is dropped rather than handed to the core.
 */
export function decodeFeedMessage(payload: string | undefined): FeedMessage | null {
  if (payload === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const { kind, userId, expiresAt, createdAt } = record;
  if (!isId(userId) || !isTime(expiresAt) || !isTime(createdAt)) return null;
  if (kind === 'user') {
    const { notBefore } = record;
    return isTime(notBefore) ? { kind, userId, notBefore, expiresAt, createdAt } : null;
  }
  if (kind === 'family') {
    const { familyId } = record;
    return isId(familyId) ? { kind, familyId, userId, expiresAt, createdAt } : null;
  }
  return null;
}

/** A copy of a revocation with only the fields of its kind. */
export function copyFeedMessage(message: FeedMessage): FeedMessage {
  return message.kind === 'user'
    ? { kind: 'user', userId: message.userId, notBefore: message.notBefore, expiresAt: message.expiresAt, createdAt: message.createdAt }
    : { kind: 'family', familyId: message.familyId, userId: message.userId, expiresAt: message.expiresAt, createdAt: message.createdAt };
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 512;
}

/** Epoch milliseconds: a finite, non-negative number. */
function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
