import { html, type SafeHtml } from '../html.js';

/** Forward paging by continuation token (Table Storage has no offsets), back to the start. */
export function pager(path: string, nextPage: string | null, isFirstPage: boolean): SafeHtml {
  if (nextPage === null && isFirstPage) return html``;
  return html`<nav class="pager" aria-label="Pages">
    ${isFirstPage ? '' : html`<a href="${path}">First page</a>`}
    ${nextPage === null ? '' : html`<a href="${path}?page=${encodeURIComponent(nextPage)}" rel="next">Next page</a>`}
  </nav>`;
}
