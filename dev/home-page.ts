/**
 * The page the local stand-in host serves at `/`: a pointer to the operator console, where a
 * local sign-in now lands (POST_LOGIN_REDIRECT_URL defaults to `/api/console`).
 * Development only: in Azure the Functions host serves its own page at `/`.
 */
export const HOME_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MishikaLLM Entra ID team sync (local)</title>
<link rel="stylesheet" href="/api/console/style.css">
</head>
<body>
<main>
<h1>MishikaLLM Entra ID team sync</h1>
<p class="muted">Local run: Azurite and the simulated Entra tenant.</p>
<ul>
  <li><a href="/api/console">Operator console</a> (sign in as a tenant user)</li>
  <li><a href="/api/health">Health</a></li>
</ul>
</main>
</body>
</html>
`;
