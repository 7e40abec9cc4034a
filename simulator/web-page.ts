/** HTML of the simulated customer web flow: self-contained (inline CSS, no scripts, no external assets). */
import { REJECTION_REASONS } from './control-schemas';
import type { SimIdentityVerification } from './store';

export interface PageModel {
  idv: SimIdentityVerification;
  kycStatus: string | null;
  kycStatusReason: string | null;
  /** Where the forms post to. */
  actionUrl: string;
  /** Shown after a button was pressed. */
  notice?: string;
  /** The simulator's root URL, for the control API commands shown while Ondato reviews. */
  controlBaseUrl: string;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --line: #e3e7ef; --brand: #3b3fd8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: linear-gradient(160deg, #eef0ff 0%, #f7f8fb 60%); min-height: 100vh; }
main { max-width: 560px; margin: 40px auto; background: #fff; border-radius: 16px; padding: 32px;
  box-shadow: 0 10px 30px rgba(29, 36, 51, .08); }
.brand { font-weight: 800; letter-spacing: .08em; color: var(--brand); font-size: 14px; }
.brand span { font-weight: 500; letter-spacing: 0; color: var(--muted); }
h1 { font-size: 26px; margin: 8px 0 4px; }
.lead { color: var(--muted); margin: 0 0 20px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 24px; font-size: 14px; }
dt { color: var(--muted); } dd { margin: 0; font-family: ui-monospace, Menlo, monospace; word-break: break-all; }
.steps { display: flex; gap: 8px; margin-bottom: 24px; }
.step { flex: 1; border: 1px solid var(--line); border-radius: 10px; padding: 10px; font-size: 13px; text-align: center; }
.step b { display: block; font-size: 20px; }
.actions { display: grid; gap: 12px; }
form { margin: 0; }
.row { display: flex; gap: 8px; }
button { font: inherit; font-weight: 600; border: 0; border-radius: 10px; padding: 12px 16px; cursor: pointer; width: 100%; }
.approve { background: #1a9c5b; color: #fff; }
.reject { background: #d64545; color: #fff; width: auto; white-space: nowrap; }
.awaiting { background: #f1c232; color: #3a2e00; }
.abort { background: #fff; color: var(--muted); border: 1px solid var(--line); }
select { font: inherit; flex: 1; border: 1px solid var(--line); border-radius: 10px; padding: 0 10px; background: #fff; }
.notice { border-radius: 10px; padding: 12px 16px; margin-bottom: 20px; background: #eef0ff; border: 1px solid #c9ccff; }
.badge { display: inline-block; border-radius: 999px; padding: 2px 10px; font-size: 13px; font-weight: 600;
  background: #eef0f4; color: var(--ink); font-family: system-ui, sans-serif; }
.badge.Approved, .badge.Completed { background: #dcf5e7; color: #116b3d; }
.badge.Rejected, .badge.Aborted, .badge.Expired { background: #fde2e2; color: #9b1c1c; }
.badge.Awaiting, .badge.InProgress { background: #fff3cd; color: #7a5a00; }
.next h2 { font-size: 18px; margin: 0 0 8px; }
.next pre { background: #f4f5f9; border: 1px solid var(--line); border-radius: 8px; padding: 10px; font-size: 12px;
  white-space: pre-wrap; word-break: break-all; }
footer { margin-top: 28px; font-size: 12px; color: var(--muted); text-align: center; }
`;

export function renderVerificationPage(model: PageModel): string {
  const { idv } = model;
  const open = idv.status === 'Pending' || idv.status === 'InProgress';
  const name = idv.registration?.firstName;
  const greeting = name ? `Hello ${escapeHtml(name)}, this` : 'This';
  const body = `
  <div class="brand">ONDATO <span>simulator</span></div>
  <h1>${open ? 'Verify your identity' : 'Verification finished'}</h1>
  <p class="lead">${greeting} is a simulated Ondato identity verification.
    ${open ? 'Choose how it ends, as the customer and Ondato would decide it.' : 'Nothing is left to do here.'}</p>
  ${model.notice ? `<div class="notice" role="status">${escapeHtml(model.notice)}</div>` : ''}
  <dl>
    <dt>Session</dt><dd>${escapeHtml(idv.id)}</dd>
    <dt>Status</dt><dd>${badge(idv.status)}</dd>
    ${model.kycStatus ? `<dt>Identification</dt><dd>${badge(model.kycStatus)}${model.kycStatusReason ? ` ${escapeHtml(model.kycStatusReason)}` : ''}</dd>` : ''}
  </dl>
  ${open ? actions(idv.id, model.actionUrl) : ''}
  ${model.kycStatus === 'Awaiting' && idv.kycIdentificationId ? ondatoReviewNext(idv.kycIdentificationId, model.controlBaseUrl) : ''}
  <footer>Ondato simulator · no data leaves this machine</footer>`;
  return page(open ? 'Verify your identity' : 'Verification finished', body);
}

function actions(idvId: string, actionUrl: string): string {
  const form = (action: string, inner: string): string =>
    `<form method="post" action="${escapeHtml(actionUrl)}">
      <input type="hidden" name="id" value="${escapeHtml(idvId)}">
      <input type="hidden" name="action" value="${action}">${inner}</form>`;
  const reasons = REJECTION_REASONS.map((reason) => `<option value="${reason}">${reason}</option>`).join('');
  return `
  <div class="steps" aria-hidden="true">
    <div class="step"><b>1</b>Consent</div><div class="step"><b>2</b>Document</div><div class="step"><b>3</b>Selfie</div>
  </div>
  <div class="actions">
    ${form('approve', '<button class="approve" type="submit">Approve</button>')}
    ${form(
      'reject',
      `<div class="row"><select name="statusReason" aria-label="Rejection reason">${reasons}</select>
        <button class="reject" type="submit">Reject</button></div>`,
    )}
    ${form('awaiting', '<button class="awaiting" type="submit">Ondato reviews it (Awaiting)</button>')}
    ${form('abort', '<button class="abort" type="submit">Abort the verification</button>')}
  </div>`;
}

/**
 * After "Ondato reviews it": the customer is done, but Ondato's own reviewers have not decided. Nobody clicks
 * that in real life, so the page says what the onboarding does meanwhile and how to play Ondato's reviewer.
 */
function ondatoReviewNext(kycId: string, controlBaseUrl: string): string {
  const decide = (status: string): string =>
    `curl -s -X POST ${controlBaseUrl}/_sim/identifications/${kycId}/decide -H 'content-type: application/json' -d '{"status":"${status}"}'`;
  return `
  <section class="next" aria-label="What happens next">
    <h2>What happens next</h2>
    <p>Ondato's own reviewers look at this identification (status Awaiting). Meanwhile the onboarding run waits in
      the stage <code>awaiting_ondato_review</code>; it is not our manual review, and nothing here moves it.</p>
    <p>Decide it as Ondato would, from the simulator's control API:</p>
    <pre>${escapeHtml(decide('Approved'))}</pre>
    <pre>${escapeHtml(decide('Rejected'))}</pre>
    <p>Ondato then sends its webhook and the run goes on with the result.</p>
  </section>`;
}

export function renderMessagePage(title: string, message: string): string {
  return page(
    title,
    `<div class="brand">ONDATO <span>simulator</span></div><h1>${escapeHtml(title)}</h1>
     <p class="lead">${escapeHtml(message)}</p>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Ondato simulator</title>
<style>${STYLE}</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

function badge(status: string): string {
  const safe = escapeHtml(status);
  return `<span class="badge ${safe.replace(/[^A-Za-z]/g, '')}">${safe}</span>`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
