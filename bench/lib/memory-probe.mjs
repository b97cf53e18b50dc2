// Memory of jwt-push's in-memory revocation set, in a fresh process (node --expose-gc): the
// library's own `createPushRevocations` on the Redis store, subscribed to the feed, then
// `count` calls of `revokeFamily` (each written to Redis, published, and kept in memory until no
// token it can affect is still valid). RSS and heap are read after a full GC, before and after.
// argv: redisUrl count. Replies { type: 'result', value }.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { load } from './dist.mjs';

const [redisUrl, countArg] = process.argv.slice(2);
const count = Number(countArg);

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

try {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const { openStore } = await load('stores/open-store.js');
  const { resolveConfig } = await load('core/config.js');
  const { createPushRevocations } = await load('core/jwt/push-revocations.js');
  const store = await openStore(redisUrl);
  const config = resolveConfig({ mode: 'jwt-push', store });
  const push = createPushRevocations(config);
  await push.init();
  await sleep(200);
  const before = settle();
  const batch = 500;
  const started = Date.now();
  for (let i = 0; i < count; i += batch) {
    // Ids are made here, so the set owns its keys as it does with ids that arrive on the feed.
    await Promise.all(Array.from({ length: Math.min(batch, count - i) }, () => push.revokeFamily(randomUUID(), randomBytes(16).toString('base64url'))));
  }
  const writeMs = Date.now() - started;
  // Let the feed deliver our own publications back (they land on the same entries).
  await sleep(1000);
  const observed = push.observe();
  const after = settle();
  const result = {
    entries: observed.entries,
    revocations: count,
    writeMs,
    rssDeltaBytes: after.rss - before.rss,
    heapDeltaBytes: after.heapUsed - before.heapUsed,
    rssPerEntryBytes: (after.rss - before.rss) / observed.entries,
    heapPerEntryBytes: (after.heapUsed - before.heapUsed) / observed.entries,
    before,
    after,
  };
  await push.close();
  await store.close();
  process.send({ type: 'result', value: result });
} catch (error) {
  process.send({ type: 'error', message: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  process.exitCode = 1;
}
