/**
 * The start-time half of the callback policy (config/callback-targets.ts): a callbackUrl the worker would refuse
 * to call is refused now, with a 400 naming the field, rather than failing days later when the run decides.
 */
import { checkCallbackUrl, type CallbackTargets } from '../config/callback-targets';
import { ApiError } from './errors';

export function assertCallbackUrlAllowed(callbackUrl: string | undefined, targets: CallbackTargets): void {
  if (callbackUrl === undefined) return;
  const check = checkCallbackUrl(callbackUrl, targets);
  if (check.allowed) return;
  throw new ApiError(400, 'validation_failed', 'The callback URL is not allowed', [
    { path: 'callbackUrl', message: check.reason },
  ]);
}
