/**
 * The HTML shell of the demo page at `GET /`. Everything dynamic is filled in by the page's script
 * (`/assets/app.js`) from the public API; this shell holds no data but the posture's name.
 */

/** Content-Security-Policy of the page and its assets: no inline script or style, no framing. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** What the shell needs to know about the running server. */
export interface DemoPageOptions {
  mode: string;
  /** Whether the demo-only endpoints (the stolen-credential panel) are enabled. */
  demo: boolean;
}

/** Renders the demo page's HTML. */
export function renderDemoPage(options: DemoPageOptions): string {
  const mode = escapeHtml(options.mode);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera demo — ${mode}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body data-mode="${mode}" data-demo="${options.demo ? 'on' : 'off'}">
<header>
<h1>Tessera</h1>
<p>Authentication that tells the truth about its trade-offs. This server runs the <strong>${mode}</strong> posture.</p>
</header>
<main>
<p id="status" role="status" aria-live="polite"></p>

<section id="signed-out" aria-labelledby="signed-out-title" hidden>
<h2 id="signed-out-title">Sign up or log in</h2>
<form id="auth-form">
<div class="field"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="320"></div>
<div class="field"><label for="password">Password (8 characters or more)</label><input id="password" name="password" type="password" autocomplete="current-password" required minlength="8" maxlength="1024"></div>
<div class="actions"><button type="submit" id="login" value="login">Log in</button><button type="submit" id="signup" value="signup">Sign up</button></div>
</form>
</section>

<section id="signed-in" aria-labelledby="signed-in-title" hidden>
<h2 id="signed-in-title">Signed in</h2>
<dl>
<dt>Email</dt><dd id="user-email"></dd>
<dt>Roles</dt><dd id="user-roles"></dd>
<dt>This login (session or refresh family)</dt><dd id="user-session"></dd>
</dl>
<div class="actions">
<button type="button" id="check">Check again</button>
<button type="button" id="logout">Log out</button>
<button type="button" id="logout-all">Log out everywhere</button>
</div>
</section>

<section id="stolen" aria-labelledby="stolen-title" hidden>
<h2 id="stolen-title">Stolen credential</h2>
<p>For this demo only, the server keeps a copy of the credential cookie your browser holds, as a thief who copied it would.
The page never sees the credential: it only asks the server to replay the copy and report whether it still works.</p>
<p id="stolen-expect"></p>
<p id="stolen-status" data-state="none" aria-live="polite">No copy yet: log in first.</p>
<p id="stolen-countdown" hidden></p>
<div class="actions"><button type="button" id="steal" disabled>Copy this browser's credential again</button></div>
</section>

<section id="devices" aria-labelledby="devices-title" hidden>
<h2 id="devices-title" tabindex="-1">Your devices</h2>
<table>
<caption>Every login of this account: sessions in the session posture, refresh families in the jwt postures.</caption>
<thead><tr><th scope="col">Device</th><th scope="col">IP</th><th scope="col">Logged in</th><th scope="col">Last seen</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody id="devices-body"></tbody>
</table>
</section>

<section id="admin" aria-labelledby="admin-title" hidden>
<h2 id="admin-title">Users (admin)</h2>
<table>
<caption>Role changes and disabling are revocations: they take effect as the posture below says.</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody id="users-body"></tbody>
</table>
</section>

<section id="posture" aria-labelledby="posture-title">
<h2 id="posture-title">The running posture</h2>
<table>
<caption>From <a href="/auth/posture">GET /auth/posture</a>: what this configuration actually does.</caption>
<tbody id="posture-body"></tbody>
</table>
<h3>Warnings</h3>
<ul id="warnings"></ul>
</section>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
