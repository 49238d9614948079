import type { User } from '../../sync/model.js';
import { orDash, yesNo } from '../format.js';
import { html } from '../html.js';
import type { PageContent } from '../layout.js';
import type { Paged } from '../queries.js';
import { CONSOLE_PATH } from '../session.js';
import { dataTable } from '../table.js';
import { pager } from './pager.js';

export function usersPage(page: Paged<User>, isFirstPage: boolean): PageContent {
  const body = html`${dataTable(
    'Users',
    [
      {
        header: 'Name',
        cell: (user: User) => html`${user.displayName}<br /><span class="id">${user.userId}</span>`,
      },
      { header: 'E-mail', cell: (user) => orDash(user.userEmail) },
      { header: 'Enabled', cell: (user) => yesNo(user.accountEnabled) },
      { header: 'Deleted in Entra', cell: (user) => yesNo(user.deletedInEntra) },
      { header: 'Role', cell: (user) => user.userRole },
    ],
    page.items,
    'No users yet: they appear after the first sign-in or sync.',
  )}
  ${pager(`${CONSOLE_PATH}/users`, page.nextPage, isFirstPage)}`;
  return { title: 'Users', section: 'users', body };
}
