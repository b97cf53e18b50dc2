/**
 * Terminal output of the CLI: colours only on a TTY (and never with NO_COLOR, https://no-color.org),
 * aligned tables, and a one-line progress indicator that is silent when stderr is not a TTY.
 */

/** ANSI styling that degrades to plain text. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** True when `stream` is a terminal and the environment does not ask for plain output. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '') && env.TERM !== 'dumb';
}

/** Styling for one output stream. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const on = colourWanted(stream, env);
  const wrap = (open: number, close: number) => (text: string) => (on ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    enabled: on,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/** The printed width of a string, ignoring ANSI escapes. */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/**
 * Formats rows as aligned columns separated by two spaces; `headers` (if given) are printed first.
 * The last column is not padded.
 */
export function formatTable(rows: readonly (readonly string[])[], headers?: readonly string[], style?: Style): string {
  const all = headers ? [headers.map((h) => (style ? style.bold(h) : h)), ...rows] : [...rows];
  if (all.length === 0) return '';
  const columns = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  return `${all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]!))).join('  ').trimEnd()).join('\n')}\n`;
}

/** A progress line on stderr, rewritten in place; does nothing unless stderr is a TTY. */
export interface Progress {
  update(text: string): void;
  /** Clears the line. */
  done(): void;
}

/** Creates the progress line for `stream` (normally `process.stderr`). */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return { update() {}, done() {} };
  const style = styleFor(stream);
  let shown = false;
  return {
    update(text) {
      const columns = stream.columns ?? 80;
      const line = [...text].slice(0, Math.max(10, columns - 1)).join('');
      stream.write(`\r\x1b[2K${style.dim(line)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

/** Milliseconds as a short human duration: `0 ms`, `850 ms`, `12 s`, `10 min`, `2 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  const min = s / 60;
  if (min < 120) return `${Math.round(min)} min`;
  const h = min / 60;
  if (h < 48) return `${Math.round(h)} h`;
  return `${Math.round(h / 24)} d`;
}

/** An epoch-ms time as ISO 8601, or `—`. */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : new Date(ms).toISOString();
}
