/** Content-Security-Policy of the page: no inline script or style, no framing. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The minimal landing page (a later version becomes the interactive demo). */
export function renderLandingPage(mode: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera</title>
</head>
<body>
<main>
<h1>Tessera</h1>
<p>Authentication that tells the truth about its trade-offs. This server runs the <strong>${escapeHtml(mode)}</strong> posture.</p>
<ul>
<li><a href="/auth/posture">What this posture guarantees (GET /auth/posture)</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
