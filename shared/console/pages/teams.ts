import { budgetText, listText, orDash, yesNo } from '../format.js';
import { html } from '../html.js';
import type { PageContent } from '../layout.js';
import type { Paged, TeamListEntry } from '../queries.js';
import { CONSOLE_PATH } from '../session.js';
import { dataTable } from '../table.js';
import { pager } from './pager.js';

export function teamsPage(page: Paged<TeamListEntry>, isFirstPage: boolean): PageContent {
  const body = html`${dataTable(
    'Teams',
    [
      {
        header: 'Team',
        cell: (team: TeamListEntry) =>
          html`<a href="${CONSOLE_PATH}/teams/${encodeURIComponent(team.teamId)}"
            >${team.teamAlias}</a
          >`,
      },
      {
        header: 'Source group',
        cell: (team) => html`<span class="id">${orDash(team.entraGroupId)}</span>`,
      },
      { header: 'Entra name', cell: (team) => orDash(team.entraDisplayName) },
      { header: 'Budget', cell: (team) => budgetText(team.maxBudget) },
      { header: 'Duration', cell: (team) => orDash(team.budgetDuration) },
      { header: 'Models', cell: (team) => listText(team.models) },
      { header: 'Members', cell: (team) => team.memberCount },
      { header: 'Archived', cell: (team) => yesNo(team.archived) },
    ],
    page.items,
    'No teams yet: they appear after the first sync.',
  )}
  ${pager(`${CONSOLE_PATH}/teams`, page.nextPage, isFirstPage)}`;
  return { title: 'All teams', section: 'teams', body };
}
