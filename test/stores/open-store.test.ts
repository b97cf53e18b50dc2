import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, ConfigError } from '../../src/core/errors.js';
import { describeStoreUrl, openStore } from '../../src/stores/open-store.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('openStore', () => {
  it('opens a memory store', async () => {
    const store = await openStore('memory:');
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('opens a SQLite store at a path relative to the working directory, or in memory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tessera-'));
    directories.push(directory);
    const file = await openStore(`sqlite:${relative(process.cwd(), join(directory, 'tessera.db'))}`);
    expect(file.kind).toBe('sqlite');
    await file.ping();
    await file.close();
    const inMemory = await openStore('sqlite::memory:');
    expect(inMemory.kind).toBe('sqlite');
    await inMemory.close();
  });

  it.each([
    ['mysql://app:hunter2@db.example/tessera', /unknown store URL scheme/],
    ['hunter2', /unknown store URL scheme/],
    ['sqlite:', /path/],
  ])('refuses %s with a ConfigError that names no credential', async (url, message) => {
    const error: unknown = await openStore(url).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'store' });
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain('hunter2');
  });
});

describe('openStore with a server that is not there', () => {
  // Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
  it('redis:// opens a redis store whose calls fail closed with a StoreError naming no credential', async () => {
    const store = await openStore('redis://:hunter2@127.0.0.1:9');
    expect(store.kind).toBe('redis');
    const error: unknown = await store.ping().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('unavailable');
    expect((error as Error).message).not.toContain('hunter2');
    await store.close();
  });

  it.each(['postgres', 'postgresql'])('%s:// refuses with a StoreError naming no credential', async (scheme) => {
    const error: unknown = await openStore(`${scheme}://app:hunter2@127.0.0.1:9/tessera`).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('describeStoreUrl', () => {
  it.each([
    ['memory:', 'memory:'],
    ['sqlite:./tessera.db', 'sqlite:./tessera.db'],
    ['sqlite::memory:', 'sqlite::memory:'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://:hunter2@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['redis://hunter2@127.0.0.1:6379/1', 'redis://***@127.0.0.1:6379/1'],
    ['rediss://default:hunter2@cache.example:6380', 'rediss://default:***@cache.example:6380'],
    ['postgres://app:hunter2@db.example:5432/tessera?password=hunter2', 'postgres://app:***@db.example:5432/tessera'],
    ['redis:hunter2@host', 'redis:…'],
    ['hunter2', 'invalid:'],
  ])('describes %s as %s', (url, expected) => {
    expect(describeStoreUrl(url)).toBe(expected);
  });
});
