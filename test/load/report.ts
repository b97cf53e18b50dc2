import { appendFileSync } from 'node:fs';

/**
 * Prints one measured result as `LOAD <name> <json>` (the numbers `docs/reliability.md` quotes), and
 * appends it as a JSON line to `$TESSERA_LOAD_REPORT` when that is set.
 */
export function report(name: string, values: Record<string, string | number>): void {
  const line = JSON.stringify({ test: name, ...values });
  console.info(`LOAD ${name} ${line}`);
  const file = process.env.TESSERA_LOAD_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
}
