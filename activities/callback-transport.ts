/**
 * One POST to a callback target, on node:http(s) rather than fetch so that the address checked is the address
 * connected to: the host is resolved once, every address it resolves to is checked against the target policy
 * (config/callback-targets.ts), and the socket connects to those addresses (no second lookup an attacker's DNS
 * could answer differently). Redirects are never followed: this module does not know how.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { checkCallbackUrl, refusedAddressReason, type CallbackTargets } from '../config/callback-targets';

/** The target is not allowed: no request was sent, and retrying cannot help. */
export class CallbackTargetRefusedError extends Error {
  override readonly name = 'CallbackTargetRefusedError';
}

/** Resolves a host to every address it has (node:dns `lookup` with `all: true`); tests swap it. */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/** A `lookup` for the socket: resolves, refuses the whole host if any address is refused, then connects. */
function checkedLookup(targets: CallbackTargets, resolver: HostResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = addresses.filter((entry) => wanted === undefined || entry.family === wanted);
        if (usable.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        for (const entry of usable) {
          const refused = refusedAddressReason(entry.address, targets);
          if (refused) {
            callback(new CallbackTargetRefusedError(`${hostname} resolves to ${refused}`), '', 0);
            return;
          }
        }
        if (options.all) {
          (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, usable);
        } else {
          callback(null, usable[0].address, usable[0].family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  targets: CallbackTargets;
  signal: AbortSignal;
  resolver?: HostResolver;
}

export interface PostAnswer {
  status: number;
  location?: string;
}

/**
 * Posts `body` to `url` after the allow-list and address checks. Throws CallbackTargetRefusedError when the
 * target is not allowed (before anything is sent), or the network's own error.
 */
export async function postToCallbackTarget(url: string, options: PostOptions): Promise<PostAnswer> {
  const listed = checkCallbackUrl(url, options.targets);
  if (!listed.allowed) throw new CallbackTargetRefusedError(`callback URL refused: ${listed.reason}`);
  const target = new URL(url);
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  // A literal address never goes through `lookup`: check it here (checkCallbackUrl did, but keep it local).
  if (isIP(literal) !== 0) {
    const refused = refusedAddressReason(literal, options.targets);
    if (refused) throw new CallbackTargetRefusedError(`callback URL refused: ${refused}`);
  }
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
    signal: options.signal,
    lookup: checkedLookup(options.targets, options.resolver ?? systemResolver),
    // One request per delivery: no pooled socket whose address was checked for another host.
    agent: false,
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostAnswer>((resolve, reject) => {
    const request = send(target, requestOptions, (response: IncomingMessage) => {
      // The body is not read: only the status counts. Drain it so the socket closes.
      response.resume();
      response.on('error', () => undefined);
      const location = response.headers.location;
      resolve({ status: response.statusCode ?? 0, ...(location ? { location } : {}) });
    });
    request.on('error', reject);
    request.end(options.body);
  });
}
