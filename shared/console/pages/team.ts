import type { TeamDetail } from '../../views.js';
import { budgetText, listText, orDash, whenText, yesNo } from '../format.js';
import { html } from '../html.js';
import type { PageContent } from '../layout.js';
import type { MemberEntry } from '../queries.js';
import { dataTable } from '../table.js';

export function teamPage(team: TeamDetail, members: readonly MemberEntry[]): PageContent {
  const body = html`<dl>
      <dt>Team id (source group id)</dt>
      <dd class="id">${team.teamId}</dd>
      <dt>Entra name</dt>
      <dd>${orDash(team.entraDisplayName)}</dd>
      <dt>Source</dt>
      <dd>${team.source}</dd>
      <dt>Budget</dt>
      <dd>${budgetText(team.maxBudget)} per ${orDash(team.budgetDuration)}</dd>
      <dt>Models</dt>
      <dd>${listText(team.models)}</dd>
      <dt>Archived</dt>
      <dd>
        ${yesNo(team.archived)}${team.archived ? html` (${orDash(team.archivedReason)})` : ''}
      </dd>
    </dl>
    <h2>Members</h2>
    ${dataTable(
      `Members of ${team.teamAlias}`,
      [
        {
          header: 'Name',
          cell: (member: MemberEntry) => orDash(member.displayName ?? member.userEmail),
        },
        { header: 'User id', cell: (member) => html`<span class="id">${member.userId}</span>` },
        { header: 'Role', cell: (member) => member.role },
        { header: 'Source', cell: (member) => member.source },
        { header: 'Since', cell: (member) => whenText(member.addedAt) },
      ],
      members,
      'This team has no members.',
    )}`;
  return { title: `Team ${team.teamAlias}`, section: 'teams', body };
}
