import type { HeldChange } from '../../sync/run-records.js';
import { orDash, whenText } from '../format.js';
import { html, type HtmlValue } from '../html.js';
import type { PageContent } from '../layout.js';
import type { HeldState } from '../queries.js';
import type { ReleaseResult } from '../release.js';
import { CONSOLE_PATH } from '../session.js';
import { dataTable } from '../table.js';

export const RELEASE_PATH = `${CONSOLE_PATH}/held/release`;

function named(names: ReadonlyMap<string, string>, id: string | undefined): HtmlValue {
  if (id === undefined) return '—';
  const name = names.get(id);
  return html`${name ?? ''}${name === undefined ? '' : html`<br />`}<span class="id">${id}</span>`;
}

function releaseOutcome(result: ReleaseResult | undefined): HtmlValue {
  if (result === undefined) return '';
  const { run, release } = result;
  const summary = run.summary;
  return html`<div class="notice" role="status" id="release-outcome">
    <p>
      Released by ${release.releasedByName} at ${whenText(release.releasedAt)}: the full pass ran
      with the limit raised to ${release.maxMembershipRemovals} and ended
      <strong>${run.outcome}</strong
      >${summary === undefined ? '' : html` (${summary.membershipsRemoved} membership(s) removed, ${summary.teamsArchived} team(s) archived)`}.
    </p>
  </div>`;
}

export function heldPage(state: HeldState, csrfToken: string, result?: ReleaseResult): PageContent {
  const run = state.heldRun;
  const current =
    run === undefined
      ? html`<p class="notice">Nothing is held: the latest run applied every change.</p>`
      : html`<div class="notice warning">
            <p>
              <strong
                >The latest run (${whenText(run.startedAt)}) held ${run.held.length}
                change(s).</strong
              >
            </p>
            <p>${orDash(run.holdReason)}</p>
          </div>
          ${dataTable(
            'Held changes',
            [
              { header: 'Change', cell: (change: HeldChange) => change.kind },
              { header: 'Team', cell: (change) => named(state.teamAliases, change.teamId) },
              { header: 'User', cell: (change) => named(state.userNames, change.userId) },
              { header: 'Reason', cell: (change) => change.reason },
            ],
            run.held,
            'No held change.',
          )}
          <h2>Release</h2>
          <p>
            Check the list first: if these removals are a mistake, fix Entra instead and the next
            run holds nothing. Releasing runs the full pass now, with the limit raised to
            ${state.heldRemovals} removal(s) for this run only.
          </p>
          <form method="post" action="${RELEASE_PATH}">
            <input type="hidden" name="csrf" value="${csrfToken}" />
            <input type="hidden" name="heldRunId" value="${run.runId}" />
            <button type="submit" class="danger" id="release">
              Release ${state.heldRemovals} held removal(s)
            </button>
          </form>`;
  const body = html`${releaseOutcome(result)} ${current}
    <h2>Recent releases</h2>
    ${dataTable(
      'Releases from the console, newest first',
      [
        {
          header: 'When',
          cell: (release: HeldState['releases'][number]) => whenText(release.releasedAt),
        },
        {
          header: 'Released by',
          cell: (release) =>
            html`${release.releasedByName}<br /><span class="id">${release.releasedBy}</span>`,
        },
        { header: 'Limit', cell: (release) => release.maxMembershipRemovals },
        { header: 'Outcome', cell: (release) => release.outcome },
      ],
      state.releases,
      'No release yet.',
    )}`;
  return { title: 'Held removals', section: 'held', body };
}
