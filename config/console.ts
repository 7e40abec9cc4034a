/** The review console's settings (api/console): resolved and checked apart from the rest of the configuration. */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Env } from './env';
import type { ConsoleSettings } from './sections';

/** An SSO header is believed from named proxies only; every entry is an address or a CIDR range. */
export function checkConsole(env: Env): string[] {
  const problems: string[] = [];
  if (env.CONSOLE_TRUSTED_IDENTITY_HEADER && env.CONSOLE_TRUSTED_PROXIES.length === 0) {
    problems.push(
      'CONSOLE_TRUSTED_PROXIES: required with CONSOLE_TRUSTED_IDENTITY_HEADER (whose header to believe)',
    );
  }
  for (const entry of env.CONSOLE_TRUSTED_PROXIES) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      problems.push(`CONSOLE_TRUSTED_PROXIES: not an address or CIDR range: ${entry}`);
    }
  }
  return problems;
}

export function resolveConsole(env: Env, apiPublicUrl: string): ConsoleSettings {
  const secret = env.CONSOLE_SESSION_SECRET;
  return {
    sessionSecret: secret ? Buffer.from(secret, 'utf8') : randomBytes(32),
    sessionSecretGenerated: !secret,
    sessionIdleMs: env.CONSOLE_SESSION_IDLE_MINUTES * 60_000,
    secureCookies: apiPublicUrl.startsWith('https:'),
    trustedIdentityHeader: env.CONSOLE_TRUSTED_IDENTITY_HEADER,
    trustedProxies: env.CONSOLE_TRUSTED_PROXIES,
    auditLog:
      env.CONSOLE_AUDIT_LOG === 'log' ? { target: 'log' } : { target: 'file', path: env.CONSOLE_AUDIT_LOG },
    temporalUiUrl: (env.CONSOLE_TEMPORAL_UI_URL ?? `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`).replace(
      /\/+$/,
      '',
    ),
  };
}
