import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';

const options = { user: { type: 'string' }, id: { type: 'string', short: 'i' }, all: { type: 'boolean' }, json: { type: 'boolean' } } as const;

describe('parseCommand', () => {
  it('takes a dash-led value after a string flag as its value (base64url ids may begin with a dash)', () => {
    for (const id of ['-x7QpLm', '--x7Qp', '-', '-a=b']) {
      expect(parseCommand('sessions revoke', ['--user', 'dana@x.io', '--id', id], options).values).toEqual({ user: 'dana@x.io', id });
      expect(parseCommand('sessions revoke', ['-i', id], options).values).toEqual({ id });
    }
    expect(parseCommand('sessions revoke', ['--id=-x7Q'], options).values).toEqual({ id: '-x7Q' });
  });

  it("still refuses a string flag followed by one of the command's own flags, and unknown flags", () => {
    for (const argv of [['--id', '--all'], ['--id', '--json'], ['--id', '-i'], ['--id', '--user=a'], ['--id'], ['--bogus'], ['--all', '-x7Q']]) {
      expect(() => parseCommand('sessions revoke', argv, options), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('leaves everything after -- alone', () => {
    expect(parseCommand('x', ['--', '--id', '-a'], options, { min: 0, max: 2, names: '' }).positionals).toEqual(['--id', '-a']);
  });
});
