/**
 * The page the local stand-in host serves at `/`: where a local sign-in lands
 * (POST_LOGIN_REDIRECT_URL defaults to `/`), showing the teams the tables now hold.
 * Development only: in Azure the proxy has its own pages.
 */
export const HOME_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MishikaLLM Entra ID team sync (local)</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1b1b1b; }
  nav a { margin-right: 1rem; }
  table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f4f4f4; }
  .muted { color: #666; font-size: .9em; }
  .archived { color: #999; }
</style>
</head>
<body>
<h1>MishikaLLM Entra ID team sync</h1>
<p class="muted">Local run: Azurite and the simulated Entra tenant. Sign in as a tenant user to sync them;
<code>npm run sync</code> reconciles everyone.</p>
<nav>
  <a href="/api/sso/login">Sign in</a>
  <a href="/api/health">Health</a>
  <a href="/api/teams?includeArchived=true">Teams (JSON)</a>
  <a href="/api/sync/status">Sync runs (JSON)</a>
</nav>
<h2>Teams</h2>
<table>
  <thead><tr><th>Team</th><th>Budget</th><th>Models</th><th>Members</th></tr></thead>
  <tbody id="teams"><tr><td colspan="4" class="muted">Loading…</td></tr></tbody>
</table>
<script type="module">
  const text = (value) => document.createTextNode(value ?? '');
  const cell = (...nodes) => { const td = document.createElement('td'); td.append(...nodes); return td; };
  const body = document.getElementById('teams');
  const { teams } = await (await fetch('/api/teams?includeArchived=true')).json();
  body.replaceChildren();
  if (teams.length === 0) {
    const row = body.insertRow();
    row.append(cell(text('No teams yet: sign in, or run npm run sync.')));
  }
  for (const team of teams) {
    const { members } = await (await fetch('/api/teams/' + encodeURIComponent(team.teamId))).json();
    const row = body.insertRow();
    if (team.archived) row.className = 'archived';
    const name = document.createElement('strong');
    name.textContent = team.teamAlias + (team.archived ? ' (archived)' : '');
    const id = document.createElement('div');
    id.className = 'muted';
    id.textContent = team.teamId + ' · ' + team.source;
    const list = members.map((m) => (m.userEmail ?? m.userId) + ' (' + m.role + ', ' + m.source + ')');
    row.append(
      cell(name, id),
      cell(text(team.maxBudget === null ? '—' : '$' + team.maxBudget + ' / ' + (team.budgetDuration ?? '—'))),
      cell(text(team.models.join(', ') || '—')),
      cell(text(list.join(', ') || '—')),
    );
  }
</script>
</body>
</html>
`;
