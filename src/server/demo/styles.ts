/** The demo page's stylesheet, served as `/assets/app.css` (a same-origin file: the CSP allows no inline style). */
export const DEMO_CSS = `:root { color-scheme: light dark; --accent: #0b5cad; --ok: #1d6b2f; --bad: #a4161a; --line: #8886; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; }
h1 { margin: 0.5rem 0 0; }
h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
caption { text-align: left; font-size: 0.9rem; padding-bottom: 0.25rem; }
th, td { border: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
tbody th { width: 16rem; font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.field { display: flex; flex-direction: column; margin-bottom: 0.75rem; max-width: 24rem; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.5rem 0; }
input, button { font: inherit; padding: 0.35rem 0.6rem; }
td input { width: 100%; min-width: 8rem; }
button { cursor: pointer; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; }
button[disabled] { opacity: 0.5; cursor: default; }
td button { background: transparent; color: inherit; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
#status:empty { display: none; }
#status { padding: 0.5rem 0.75rem; border-left: 4px solid var(--accent); }
#status[data-kind="error"] { border-color: var(--bad); }
#stolen-status { font-weight: 600; padding: 0.5rem 0.75rem; border-left: 4px solid var(--line); }
#stolen-status[data-state="works"] { border-color: var(--bad); }
#stolen-status[data-state="dead"] { border-color: var(--ok); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
[hidden] { display: none !important; }
`;

/** The tab icon, served as `/assets/icon.svg` (so the browser's favicon request does not 404). */
export const DEMO_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5cad"/><path d="M4 4h8v2H9v6H7V6H4z" fill="#fff"/></svg>`;
