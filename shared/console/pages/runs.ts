import type { NotificationStatus } from '../../notifications/status.js';
import type { RunRecord } from '../../sync/run-records.js';
import { changesOf, runsChart } from '../chart.js';
import { durationText, whenText } from '../format.js';
import { html } from '../html.js';
import type { PageContent } from '../layout.js';
import { CONSOLE_PATH } from '../session.js';
import { dataTable } from '../table.js';
import { notificationsSection } from './notifications.js';

function countsText(run: RunRecord): string {
  const s = run.summary;
  if (s === undefined) return run.error === undefined ? '—' : run.error.code;
  return [
    `teams +${s.teamsCreated} ~${s.teamsRenamed} archived ${s.teamsArchived} restored ${s.teamsRestored}`,
    `members +${s.membershipsAdded} −${s.membershipsRemoved} held ${s.membershipsHeld}`,
    `users +${s.usersCreated} ~${s.usersUpdated}`,
  ].join('; ');
}

export function runsPage(
  runs: readonly RunRecord[],
  notifications: NotificationStatus,
): PageContent {
  const body = html`${
      runs.length === 0
        ? ''
        : html`<h2>Changes and duration</h2>
            ${runsChart(runs)}`
    }
    <h2>Last runs</h2>
    ${dataTable(
      'Sync runs, newest first',
      [
        {
          header: 'When',
          cell: (run: RunRecord) =>
            html`<a href="${CONSOLE_PATH}/runs/${encodeURIComponent(run.runId)}"
              >${whenText(run.startedAt)}</a
            >`,
        },
        { header: 'Trigger', cell: (run) => run.trigger },
        { header: 'Outcome', cell: (run) => run.outcome },
        { header: 'Changes', cell: (run) => changesOf(run) },
        { header: 'Counts', cell: countsText },
        { header: 'Duration', cell: (run) => durationText(run.summary?.durationMs) },
      ],
      runs,
      'No sync run yet.',
    )}
    ${notificationsSection(notifications)}`;
  return { title: 'Sync runs', section: 'runs', body };
}
