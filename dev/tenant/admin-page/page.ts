/**
 * The simulated tenant's admin page (`GET /_admin/`): the groups (name, id, assigned, members)
 * and users, with a form for each change the walkthrough needs. Plain HTML forms posting to
 * `/_admin/page/{action}`, no script, so it works on a phone and under a strict CSP.
 */
import type { Directory, GroupObject } from '../model.js';
import { escapeHtml as e } from './html.js';

export interface PageNotice {
  readonly kind: 'ok' | 'error';
  readonly text: string;
}

function nameOf(directory: Directory, id: string): string {
  return directory.users.get(id)?.displayName ?? directory.groups.get(id)?.displayName ?? id;
}

/** A form posting to one action; `label` names the button for screen readers when its text alone is ambiguous ("Remove"). */
function form(action: string, fields: string, button: string, label?: string): string {
  const inline = label !== undefined;
  const aria = label === undefined ? '' : ` aria-label="${e(label)}"`;
  return `<form method="post" action="/_admin/page/${action}"${inline ? ' class="inline"' : ''}>${fields}<button type="submit"${aria}>${button}</button></form>`;
}

const hidden = (name: string, value: string) =>
  `<input type="hidden" name="${name}" value="${e(value)}">`;

function candidateOptions(directory: Directory, group: GroupObject): string {
  const options = [
    ...[...directory.users.values()].map((u) => ({ id: u.id, label: `${u.displayName} (user)` })),
    ...[...directory.groups.values()].map((g) => ({ id: g.id, label: `${g.displayName} (group)` })),
  ].filter((candidate) => candidate.id !== group.id && !group.members.has(candidate.id));
  return options.map((o) => `<option value="${e(o.id)}">${e(o.label)}</option>`).join('');
}

function groupCard(directory: Directory, group: GroupObject): string {
  const assigned = directory.assignmentsOf(group.id).length > 0;
  const key = group.id;
  const members = [...group.members]
    .map((memberId) => {
      const kind = directory.groups.has(memberId) ? ' (group)' : '';
      const remove = form(
        'remove-member',
        hidden('group', group.id) + hidden('member', memberId),
        'Remove',
        `Remove ${nameOf(directory, memberId)} from ${group.displayName}`,
      );
      return `<li>${e(nameOf(directory, memberId))}${kind}${remove}</li>`;
    })
    .join('');
  const assignment = form(
    assigned ? 'unassign' : 'assign',
    hidden('group', group.id),
    assigned ? 'Unassign from the app' : 'Assign to the app',
    `${assigned ? 'Unassign' : 'Assign'} ${group.displayName}`,
  );
  const candidates = candidateOptions(directory, group);
  return `<article>
<h3>${e(group.displayName)}</h3>
<p class="muted">id <code>${e(group.id)}</code>${group.groupTypes.includes('Unified') ? ' · Microsoft 365' : ''}</p>
<p>Assigned to the app: <strong>${assigned ? 'yes' : 'no'}</strong>${assignment}</p>
<p>Members (${group.members.size}):</p>
<ul>${members || '<li class="muted">none</li>'}</ul>
${
  candidates === ''
    ? ''
    : form(
        'add-member',
        `${hidden('group', group.id)}<label for="member-${key}">Add member<select id="member-${key}" name="member" required>${candidates}</select></label>`,
        'Add',
      )
}
${form(
  'rename-group',
  `${hidden('group', group.id)}<label for="name-${key}">New name<input id="name-${key}" name="name" required value="${e(group.displayName)}"></label>`,
  'Rename',
)}
</article>`;
}

function usersTable(directory: Directory): string {
  const rows = [...directory.users.values()]
    .map((u) => {
      const groups = directory.directParents(u.id).map((id) => nameOf(directory, id));
      return `<tr><td>${e(u.displayName)}${u.accountEnabled ? '' : ' <span class="muted">(disabled)</span>'}</td><td>${e(u.userPrincipalName)}</td><td><code>${e(u.id)}</code></td><td>${e(groups.join(', '))}</td></tr>`;
    })
    .join('');
  return `<div class="table"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Sign-in name</th><th scope="col">Id</th><th scope="col">Groups</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

export function renderAdminPage(directory: Directory, notice: PageNotice | undefined): string {
  const groups = [...directory.groups.values()];
  const status =
    notice === undefined
      ? ''
      : `<p role="status" class="notice${notice.kind === 'error' ? ' error' : ''}">${e(notice.text)}</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(directory.displayName)} · simulated Entra tenant</title>
<link rel="stylesheet" href="/_admin/admin.css">
</head>
<body>
<main>
<h1>${e(directory.displayName)} (simulated Entra tenant)</h1>
<p class="muted">Tenant <code>${e(directory.tenantId)}</code> · app ${e(directory.app.displayName)} · development only. The same changes from a terminal: <code>npm run tenant -- help</code>.</p>
${status}
<h2 id="groups">Groups</h2>
${form('create-group', '<label for="new-group">New group name<input id="new-group" name="name" required></label>', 'Create group')}
${groups.map((group) => groupCard(directory, group)).join('\n')}
<h2 id="users">Users</h2>
${usersTable(directory)}
</main>
</body>
</html>
`;
}
