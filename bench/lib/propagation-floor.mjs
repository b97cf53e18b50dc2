// The propagation floor: the hops a pushed revocation must make on this machine, with no Tessera
// work on them. Each reference server of the propagation section also serves, on a second port in
// the same process, two routes defined and mounted as Tessera's own routes are (`routeDefiner`,
// `fastifyHandler`):
// - `POST /floor/revoke` (instance B): one Redis script that writes an entry with a TTL and
//   publishes its id (one round trip, as Tessera's write-and-publish is), then 204;
// - `GET /floor/check` (instance A): 401 once its subscriber connection has received the id, else
//   200 with /healthz's answer.
// The parent drives them with the same loop as Tessera's logout and /auth/me (propagation.mjs), in
// the same run and interleaved with it. What the floor leaves out is Tessera's work on the way:
// B's token check and the user lookup before it revokes, and A's verification of the token it polls.
import { load } from './dist.mjs';

const CHANNEL = 'bench-floor:revocations';
const ENTRY_PREFIX = 'bench-floor:revoked:';
// An id is a bench-generated base64url string; the header is read as it comes.
const ID_HEADER = 'x-floor-id';
const WRITE_AND_PUBLISH = `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

/** Starts the floor app on a free loopback port. Returns `{ port, close() }`. */
export async function startPropagationFloor(redisUrl) {
  const { default: Fastify } = await import('fastify');
  const { Redis } = await import('ioredis');
  const { routeDefiner } = await load('http/routes/index.js');
  const { fastifyHandler } = await load('adapters/fastify/translate.js');
  const { json, noContent } = await load('http/respond.js');
  const { TesseraError } = await load('core/errors.js');

  // As Tessera's store connects: auto-pipelining for commands, a second connection to subscribe.
  const client = new Redis(redisUrl, { enableAutoPipelining: true });
  client.defineCommand('floorWriteAndPublish', { numberOfKeys: 1, lua: WRITE_AND_PUBLISH });
  const subscriber = new Redis(redisUrl);
  const revoked = new Set();
  subscriber.on('message', (channel, id) => {
    if (channel !== CHANNEL) return;
    // Bounded: the section makes a few hundred revocations.
    if (revoked.size >= 100_000) revoked.clear();
    revoked.add(id);
  });
  await subscriber.subscribe(CHANNEL);

  const define = routeDefiner();
  const app = Fastify({ logger: false });
  const idOf = (request) => {
    const id = request.headers[ID_HEADER];
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) throw new TesseraError('bad_request', `${ID_HEADER} is required`);
    return id;
  };
  app.post(
    '/floor/revoke',
    fastifyHandler(
      define('POST', '/floor/revoke', async (request) => {
        const id = idOf(request);
        await client.floorWriteAndPublish(`${ENTRY_PREFIX}${id}`, CHANNEL, id, 60_000);
        return noContent();
      }),
    ),
  );
  app.get(
    '/floor/check',
    fastifyHandler(
      define('GET', '/floor/check', async (request) => {
        if (revoked.has(idOf(request))) throw new TesseraError('unauthenticated', 'revoked');
        return json(200, { status: 'ok' });
      }),
    ),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: app.server.address().port,
    async close() {
      await app.close();
      subscriber.disconnect();
      client.disconnect();
    },
  };
}

export const PROPAGATION_FLOOR_ID_HEADER = ID_HEADER;
