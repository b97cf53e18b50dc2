/**
 * `ensureAdmin` (the server's `--admin-email` bootstrap) while the store is down: an attempt asks the
 * store before it hashes, so the bootstrap's retries (every few seconds for as long as the outage
 * lasts) cost no argon2id; and a password that breaks the policy is refused first, whatever the
 * store's state, so a bad flag still stops the server at start. argon2 is the real one, counted.
 */
import { describe, expect, it, vi } from 'vitest';

const argon2Calls = vi.hoisted(() => ({ hash: 0 }));
vi.mock('argon2', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof import('argon2') }>()).default;
  // Only the counting is added; the arguments and the answer are argon2's own.
  const hash = ((...args: Parameters<typeof real.hash>) => {
    argon2Calls.hash += 1;
    return real.hash(...args);
  }) as typeof real.hash;
  const counted = { ...real, hash };
  return { ...counted, default: counted };
});

import { StoreError, TesseraError } from '../../src/core/errors.js';
import { createTessera } from '../../src/core/tessera.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { CHEAP } from '../observability/support.js';

const PASSWORD = 'correct horse battery staple';
const CLIENT = { ip: '127.0.0.1', userAgent: 'test' };

function setUp() {
  const store = createMemoryStore();
  const tessera = createTessera({ mode: 'session', store, origins: ['http://127.0.0.1'], ...CHEAP });
  const getByEmail = store.users.getByEmail;
  return {
    store,
    tessera,
    storeDown: () => {
      store.users.getByEmail = () => Promise.reject(new StoreError('memory store: down (test)'));
    },
    storeBack: () => {
      store.users.getByEmail = getByEmail;
    },
  };
}

describe('ensureAdmin while the store is down', () => {
  it('asks the store before hashing: failed attempts cost no argon2id, the first one after the store is back hashes once and the admin can log in', async () => {
    const { tessera, storeDown, storeBack } = setUp();
    storeDown();
    const before = argon2Calls.hash;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(tessera.ensureAdmin('root@example.com', PASSWORD)).rejects.toBeInstanceOf(StoreError);
    }
    expect(argon2Calls.hash - before).toBe(0);
    storeBack();
    const admin = await tessera.ensureAdmin('root@example.com', PASSWORD);
    expect(argon2Calls.hash - before).toBe(1);
    expect(admin.roles).toContain('admin');
    const { user } = await tessera.login({ email: 'root@example.com', password: PASSWORD }, CLIENT);
    expect(user.id).toBe(admin.id);
  });

  it('refuses a password that breaks the policy before asking the store (a bad flag, not an outage)', async () => {
    const { tessera, storeDown } = setUp();
    storeDown();
    const refusal = tessera.ensureAdmin('root@example.com', 'short');
    await expect(refusal).rejects.toBeInstanceOf(TesseraError);
    await expect(refusal).rejects.toMatchObject({ code: 'bad_request' });
  });
});
