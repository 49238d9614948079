/**
 * A data table that reads on a phone: each cell carries its column's name (`data-label`), which
 * the stylesheet shows when the table is laid out as one card per row.
 */
import { html, type HtmlValue, type SafeHtml } from './html.js';

export interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => HtmlValue;
}

export function dataTable<Row>(
  caption: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  empty: string,
): SafeHtml {
  if (rows.length === 0) return html`<p class="notice">${empty}</p>`;
  return html`<table>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((column) => html`<th scope="col">${column.header}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            ${columns.map((column) => html`<td data-label="${column.header}">${column.cell(row)}</td>`)}
          </tr> `,
      )}
    </tbody>
  </table>`;
}
