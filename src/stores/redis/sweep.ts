import type { RedisContext } from './context.js';
import { sweepFamilies } from './refresh.js';
import { sweepRevocations } from './revocations.js';
import { sweepSessions } from './sessions.js';

/** Index entries handled per batch. */
const BATCH_SIZE = 500;

type Phase = (context: RedisContext, now: number, max: number) => Promise<{ processed: number; deleted: number }>;

/**
 * Deletes records expired at the caller's `now` and trims the expiry indexes, in batches: sessions,
 * refresh families, revocations. At most `requested` index entries are examined in all (so at most
 * that many records deleted); returns how many records were deleted. Native TTLs collect the rest
 * (counter windows, pointers) on the server's own clock. Signing keys are left alone.
 */
export async function sweepRedis(context: RedisContext, now: number, requested: number): Promise<number> {
  // A NaN or negative limit examines nothing rather than looping.
  let budget = Number.isNaN(requested) ? 0 : Math.floor(requested);
  let deleted = 0;
  const phases: Phase[] = [sweepSessions, sweepFamilies, sweepRevocations];
  for (const phase of phases) {
    for (;;) {
      const size = Math.min(BATCH_SIZE, budget);
      if (size <= 0) return deleted;
      const batch = await phase(context, now, size);
      budget -= batch.processed;
      deleted += batch.deleted;
      if (batch.processed < size) break;
    }
  }
  return deleted;
}
