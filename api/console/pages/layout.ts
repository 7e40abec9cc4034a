/**
 * The frame of every console page: one inline stylesheet (allowed by the response's CSP nonce), a skip link,
 * the signed-in reviewer and sign-out. No scripts and nothing from the internet: plain links and forms work by
 * keyboard as they are.
 */
import { html, type Html } from '../html';

export interface Frame {
  title: string;
  /** The response's CSP nonce (security-headers.ts). */
  nonce: string;
  reviewer?: { identity: string; csrf: string };
  body: Html;
}

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad;
  --bad: #a40e26; --bad-bg: #ffebe9; --ok: #116329; --ok-bg: #dafbe1; --warn-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; background: #24292f; color: #fff; }
header a { color: #fff; }
header button { color: #fff; background: transparent; border-color: #fff; }
header .who { margin-left: auto; }
header form { display: inline; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible {
  outline: 3px solid #f0883e; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: #fff; color: #000; padding: .3rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.mismatch td { background: var(--bad-bg); }
.mismatch td.flag, .bad { color: var(--bad); font-weight: 600; }
.good { color: var(--ok); font-weight: 600; }
.tag { display: inline-block; padding: 0 .45rem; margin: 0 .2rem .2rem 0; border-radius: 1rem; font-size: .85em;
  background: #eaeef2; white-space: nowrap; }
.tag.bad { background: var(--bad-bg); } .tag.warn { background: var(--warn-bg); }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 2rem; }
@media (max-width: 1000px) { .columns { grid-template-columns: 1fr; } }
.documents { display: flex; flex-wrap: wrap; gap: 1rem; }
.documents figure { margin: 0; border: 1px solid var(--line); padding: .4rem; flex: 0 1 300px; }
.documents img { display: block; width: 100%; height: auto; }
.notice { padding: .7rem 1rem; border-radius: 6px; background: var(--warn-bg); margin: 1rem 0; }
.notice.ok { background: var(--ok-bg); } .notice.bad { background: var(--bad-bg); }
form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
input, select, textarea, button { font: inherit; }
input, select, textarea { padding: .3rem .4rem; border: 1px solid #8c959f; border-radius: 4px; }
textarea { width: 100%; }
button { padding: .35rem .9rem; border-radius: 4px; border: 1px solid #1f2328; background: #f6f8fa; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; }
.decide > * + * { margin-top: .7rem; }
.muted { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
`;

export function renderPage(frame: Frame): string {
  const { reviewer } = frame;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${frame.title} · Review console</title>
        <style nonce="${frame.nonce}">
          ${STYLE}
        </style>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <strong>Onboarding review</strong>
          ${reviewer ? html`<a href="/console/queue">Queue</a>` : ''}
          ${
            reviewer
              ? html`<span class="who">Signed in as <strong>${reviewer.identity}</strong></span>
                  <form method="post" action="/console/sign-out">
                    <input type="hidden" name="csrf" value="${reviewer.csrf}" /><button type="submit">
                      Sign out
                    </button>
                  </form>`
              : ''
          }
        </header>
        <main id="main">${frame.body}</main>
      </body>
    </html> `.text;
}

/** A page that only says something: refusals, stale forms, pending decisions. */
export function messageBody(title: string, explanation: string, links: Html = html``): Html {
  return html`<h1>${title}</h1>
    <p class="notice">${explanation}</p>
    ${links}`;
}
