import type { Page } from 'playwright-core';

/** What the page-side functions use of the page's document (this project's TypeScript has no DOM library). */
export interface PageGlobals {
  document: { querySelectorAll(selector: string): { length: number }; getElementsByTagName(tag: string): { length: number } };
}

/**
 * Resolves once the live page (lib/dashboard) in `page` shows `rows` instance rows and `services`
 * summary rows (each when given). A function predicate, never a string: Playwright evaluates a
 * string one with eval inside the page, which the page's strict CSP refuses.
 */
export const shown = (page: Page, want: { rows?: number; services?: number }, timeout = 30_000) =>
  page.waitForFunction(
    ({ rows, services }) =>
      (rows < 0 || (globalThis as unknown as PageGlobals).document.querySelectorAll('tr[data-key]').length === rows) &&
      (services < 0 || (globalThis as unknown as PageGlobals).document.querySelectorAll('#summary tr').length === services),
    { rows: want.rows ?? -1, services: want.services ?? -1 },
    { timeout },
  );
