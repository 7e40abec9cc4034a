/** Ondato's error format, `{ reason, message, params? }`, used by every simulated Ondato route. */
import type { Response } from 'express';
import type { z } from 'zod';

export type ErrorParams = Record<string, Array<{ reason: string; message: string }>>;

const REASON_BY_STATUS: Record<number, string> = {
  400: 'ValidationFailed',
  401: 'AuthenticationFailed',
  403: 'AuthorizationFailed',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export function reasonForStatus(status: number): string {
  return REASON_BY_STATUS[status] ?? (status >= 500 ? 'InternalServerError' : 'RequestFailed');
}

export function sendOndatoError(
  res: Response,
  status: number,
  message: string,
  options: { reason?: string; params?: ErrorParams } = {},
): void {
  res
    .status(status)
    .json({ reason: options.reason ?? reasonForStatus(status), message, params: options.params });
}

/** A zod failure in Ondato's ValidationFailed shape: one entry per offending field path. */
export function validationParams(error: z.ZodError): ErrorParams {
  const params: ErrorParams = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)';
    (params[field] ??= []).push({ reason: issueReason(issue), message: issue.message });
  }
  return params;
}

function issueReason(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'Required' : 'InvalidType';
    case 'invalid_format':
      return 'InvalidFormat';
    case 'too_big':
      return 'TooLong';
    case 'too_small':
      return 'TooShort';
    default:
      return 'Invalid';
  }
}

export function sendValidationFailed(res: Response, error: z.ZodError): void {
  sendOndatoError(res, 400, 'One or more validation errors occurred.', { params: validationParams(error) });
}
