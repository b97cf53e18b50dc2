/** Shared helpers of the observability tests. Not a test file itself. */
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { createClient } from '../helpers/client.js';
import type { TestServer } from '../helpers/server.js';

export const PASSWORD = 'correct horse battery';
/** Cheap argon2id: these tests are about signals, not hashing cost. */
export const CHEAP = { password: { memoryKiB: 1024, timeCost: 1 } } as const;

/** One sample of the exposition text. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format 0.0.4 (the subset prom-client writes). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with this name and (at least) these labels; undefined if absent. */
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length === 0) return undefined;
  return found.reduce((sum, s) => sum + s.value, 0);
}

/** Scrapes `GET /metrics` from loopback; asserts 200 and the Prometheus content type. */
export async function scrape(server: TestServer): Promise<{ text: string; samples: Sample[] }> {
  const res = await createClient(server.url).get('/metrics');
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: res.text, samples: parseMetrics(res.text) };
}

/** A pino destination that keeps every line, parsed. */
export interface CapturedLog {
  stream: Writable;
  /** Raw lines, as written. */
  lines: string[];
  /** Lines parsed as JSON. */
  records(): Array<Record<string, unknown>>;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += String(chunk);
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        lines.push(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
      done();
    },
  });
  return { stream, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
