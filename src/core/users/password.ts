import argon2 from 'argon2';
import { TesseraError } from '../errors.js';

/** argon2id cost parameters. */
export interface PasswordPolicy {
  minLength: number;
  maxBytes: number;
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
}

/** Hashes and verifies passwords with argon2id; set up once per instance. */
export interface PasswordHasher {
  /** @throws TesseraError `bad_request` when the password breaks the policy (checked before any hashing). */
  hash(password: string): Promise<string>;
  /**
   * Verifies `password` against `hash`; with `hash` null, verifies against a dummy hash of the same
   * cost so an unknown account takes as long as a wrong password.
   */
  verify(hash: string | null, password: string): Promise<boolean>;
  /** Throws `bad_request` if the password breaks the policy. */
  check(password: string): void;
}

/** Creates the hasher. argon2 runs on libuv's thread pool, off the event loop. */
export function createPasswordHasher(policy: PasswordPolicy): PasswordHasher {
  const options = {
    type: argon2.argon2id,
    memoryCost: policy.memoryKiB,
    timeCost: policy.timeCost,
    parallelism: policy.parallelism,
  } as const;
  let dummy: Promise<string> | undefined;
  const dummyHash = () => (dummy ??= argon2.hash('tessera-dummy-password', options));

  function check(password: string): void {
    // Length limits come before any hashing: a megabyte password must not cost a megabyte of argon2.
    if (Buffer.byteLength(password, 'utf8') > policy.maxBytes) {
      throw new TesseraError('bad_request', `password must be at most ${policy.maxBytes} bytes`);
    }
    if ([...password].length < policy.minLength) {
      throw new TesseraError('bad_request', `password must be at least ${policy.minLength} characters`);
    }
  }

  return {
    check,
    async hash(password) {
      check(password);
      return argon2.hash(password, options);
    },
    async verify(hash, password) {
      if (Buffer.byteLength(password, 'utf8') > policy.maxBytes) return false;
      try {
        if (hash === null) {
          await argon2.verify(await dummyHash(), password);
          return false;
        }
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
  };
}
