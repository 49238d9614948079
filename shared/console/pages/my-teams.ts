import { budgetText, listText, orDash } from '../format.js';
import { html } from '../html.js';
import type { PageContent } from '../layout.js';
import type { MyTeam } from '../queries.js';
import { dataTable } from '../table.js';

export function myTeamsPage(teams: readonly MyTeam[]): PageContent {
  const body = html`<p class="muted">
      The MishikaLLM teams you belong to, from your Entra ID groups and any added by an operator.
    </p>
    ${dataTable(
      'Your teams',
      [
        {
          header: 'Team',
          cell: (team: MyTeam) =>
            html`<strong>${orDash(team.teamAlias)}</strong>${team.archived ? ' (archived)' : ''}`,
        },
        { header: 'Team id', cell: (team) => html`<span class="id">${team.teamId}</span>` },
        { header: 'Budget', cell: (team) => budgetText(team.maxBudget) },
        { header: 'Duration', cell: (team) => orDash(team.budgetDuration) },
        { header: 'Models', cell: (team) => listText(team.models) },
        { header: 'Your role', cell: (team) => team.role },
        { header: 'Source', cell: (team) => team.source },
      ],
      teams,
      'You are in no team yet. Teams come from the Entra ID groups assigned to MishikaLLM: ask an administrator to add you to one.',
    )}`;
  return { title: 'My teams', section: 'mine', body };
}
