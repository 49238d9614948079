import type { RunRecord } from '../../sync/run-records.js';
import { durationText, orDash, whenText } from '../format.js';
import { html, type HtmlValue } from '../html.js';
import type { PageContent } from '../layout.js';
import type { ChangeEntry } from '../queries.js';
import { dataTable } from '../table.js';

function named(name: string | null, id: string | null): HtmlValue {
  if (id === null) return '—';
  return html`${name ?? ''}${name === null ? '' : html`<br />`}<span class="id">${id}</span>`;
}

export function runPage(
  run: RunRecord,
  changes: readonly ChangeEntry[],
  total: number,
): PageContent {
  const cut =
    total > changes.length
      ? html`<p class="notice">
          Showing the first ${changes.length} of ${total} changes;
          <code>GET /api/sync/status?runId=…</code> has them all.
        </p>`
      : '';
  const body = html`<dl>
      <dt>Run id</dt>
      <dd class="id">${run.runId}</dd>
      <dt>Started</dt>
      <dd>${whenText(run.startedAt)}</dd>
      <dt>Trigger</dt>
      <dd>${run.trigger}</dd>
      <dt>Outcome</dt>
      <dd>${run.outcome}</dd>
      <dt>Duration</dt>
      <dd>${durationText(run.summary?.durationMs)}</dd>
      ${
        run.holdReason === undefined
          ? ''
          : html`<dt>Held because</dt>
              <dd>${run.holdReason}</dd>`
      }
      ${
        run.error === undefined
          ? ''
          : html`<dt>Error</dt>
              <dd>${run.error.code}: ${run.error.message}</dd>`
      }
    </dl>
    <h2>Changes</h2>
    ${cut}
    ${dataTable(
      'Changes of this run, in plan order',
      [
        { header: 'Change', cell: (change: ChangeEntry) => change.kind },
        { header: 'Outcome', cell: (change) => change.outcome },
        { header: 'Team', cell: (change) => named(change.teamAlias, change.teamId) },
        { header: 'User', cell: (change) => named(change.userName, change.userId) },
        { header: 'Reason', cell: (change) => orDash(change.reason) },
      ],
      changes,
      'This run changed nothing.',
    )}`;
  return { title: `Run of ${whenText(run.startedAt)}`, section: 'runs', body };
}
