/**
 * The slice of the DOM the page uses, declared here rather than by loading TypeScript's DOM lib:
 * the page compiles in the same program as the server, and the DOM's globals (`name`, `close`,
 * `Request`…) would leak into the Node code. `fetch`, `Response` and `performance` have the same
 * shape in Node's types and in browsers.
 */

/** An element of the page. */
export interface PageElement {
  textContent: string | null;
  hidden: boolean;
  readonly dataset: Record<string, string | undefined>;
  setAttribute(name: string, value: string): void;
  append(...nodes: Array<PageElement | string>): void;
  replaceChildren(...nodes: Array<PageElement | string>): void;
  addEventListener(type: string, listener: (event: PageEvent) => void): void;
  focus(): void;
}

/** A button or an input. */
export interface PageControl extends PageElement {
  disabled: boolean;
  value: string;
  click(): void;
}

/** The events the page listens to (click, keydown, submit). */
export interface PageEvent {
  readonly key?: string;
  /** The button that submitted a form (SubmitEvent). */
  readonly submitter?: PageControl | null;
  preventDefault(): void;
}

interface PageDocument {
  readonly body: PageElement;
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
}

/** The page's document. */
export const page: PageDocument = (globalThis as unknown as { document: PageDocument }).document;
