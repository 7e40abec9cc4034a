/** The sign-in form: an ops key, exchanged for a session cookie. */
import { html, type Html } from '../html';

export function signInBody(options: { token: string; next: string; problem?: string }): Html {
  return html`<h1>Sign in</h1>
    ${options.problem ? html`<p class="notice bad" role="alert">${options.problem}</p>` : ''}
    <form method="post" action="/console/sign-in">
      <input type="hidden" name="token" value="${options.token}" />
      <input type="hidden" name="next" value="${options.next}" />
      <p>
        <label for="key">Ops key</label>
        <input id="key" name="key" type="password" autocomplete="off" required autofocus size="40" />
      </p>
      <p class="muted">
        An ops key (API_OPS_KEYS) signs you in as its identity; decisions record that identity.
      </p>
      <button class="primary" type="submit">Sign in</button>
    </form>`;
}
