/**
 * DOM helpers of the demo page. Elements are built with `textContent`, never `innerHTML`:
 * nothing the server returns is ever parsed as HTML.
 */

import { page, type PageControl, type PageElement } from './browser.js';

type Child = PageElement | string | null | undefined | false;

/** Creates an element with attributes (`hidden: true`, `'aria-label': '…'`) and children. */
export function el<T extends PageElement = PageElement>(tag: string, attrs: Record<string, string | boolean> = {}, ...children: Child[]): T {
  const node = page.createElement(tag) as T;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** The element with this id. @throws Error if the page lacks it (a bug in the page). */
export function byId<T extends PageElement = PageElement>(id: string): T {
  const node = page.getElementById(id);
  if (!node) throw new Error(`#${id} is missing`);
  return node as T;
}

/** Shows a one-line message in the page's status region (read out by screen readers). */
export function say(message: string, kind: 'info' | 'error' = 'info'): void {
  const status = byId('status');
  status.textContent = message;
  status.dataset.kind = kind;
}

/** A timestamp as local date and time, e.g. `1 Jan 2026, 10:00:00`. */
export function when(isoTime: string): string {
  const date = new Date(isoTime);
  return Number.isNaN(date.getTime()) ? isoTime : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A duration in ms for people: `0 ms`, `850 ms`, `10 s`, `2 min 5 s`, `3 h`, `7 d`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} d`;
  if (seconds >= 2 * 3600) return `${Math.round(seconds / 3600)} h`;
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest ? ` ${rest} s` : ''}`;
}

/** `1 revocation`, `3 revocations`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

let report: (err: unknown) => void = (err) => say(err instanceof Error ? err.message : String(err), 'error');

/** Sets what happens to an error thrown by an action (the page turns a 401 into "signed out"). */
export function onActionError(handler: (err: unknown) => void): void {
  report = handler;
}

/**
 * Runs `handler` when the button is pressed (click, Enter or Space), disabled while it runs;
 * a failure is reported, never left as an unhandled rejection.
 */
export function onPress(button: PageControl, handler: () => Promise<void>): void {
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await handler();
    } catch (err) {
      report(err);
    } finally {
      button.disabled = false;
    }
  });
}
