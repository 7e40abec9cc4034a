/**
 * Fault injection per route: error statuses, 429 with Retry-After, latency, dropped connections and malformed
 * bodies, each for the next N requests or until cleared, and either for every matching request or for a random
 * share of them (`probability`). Rules are checked in the order they were added: a request that a rule's draw
 * spares goes on to the next rule, so several rules of ~5 % each add up to ~20 % faulty requests.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { FaultRequest, FaultRoute } from './control-schemas';
import type { Logger } from './log';
import { sendOndatoError } from './ondato-errors';

export interface FaultRule extends FaultRequest {
  id: number;
  /** Uses left; null = until cleared. */
  remaining: number | null;
  /** Requests the rule affected. */
  hits: number;
  /** Matching requests the rule drew for (hits + spared); equals hits without a probability. */
  seen: number;
}

/** A number in [0, 1), like Math.random; tests pass a seeded one. */
export type RandomSource = () => number;

/** Where a 'substitute' fault leaves the id the route should answer with instead of the requested one. */
export const SUBSTITUTE_ID_LOCAL = 'substituteId';

const DEFAULT_STATUS = 503;
const DEFAULT_LATENCY_MS = 1_000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly logEvent: Logger,
    private readonly random: RandomSource = Math.random,
  ) {}

  add(request: FaultRequest): FaultRule {
    const rule: FaultRule = {
      ...request,
      id: this.nextId++,
      remaining: request.times ?? null,
      hits: 0,
      seen: 0,
    };
    this.rules.push(rule);
    return { ...rule };
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /**
   * Takes one use of the first live rule for `route` whose draw says this request is affected (a rule without a
   * probability always is). A spared request uses nothing. Used-up rules stay listed (with their hits) until
   * cleared.
   */
  take(route: FaultRoute): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.route !== route && rule.route !== '*') continue;
      if (rule.remaining !== null && rule.remaining <= 0) continue;
      rule.seen += 1;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.hits += 1;
      if (rule.remaining !== null) rule.remaining -= 1;
      return rule;
    }
    return undefined;
  }

  /** Express middleware for one route; passes the request on when no fault applies. */
  middleware(route: FaultRoute): RequestHandler {
    return (req, res, next) => {
      const rule = this.take(route);
      if (!rule) {
        next();
        return;
      }
      this.logEvent('fault.injected', { route, mode: rule.mode, ruleId: rule.id });
      this.apply(rule, route, req, res, next);
    };
  }

  /** Cancels pending latency timers (the server is closing). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** The route does its work now (e.g. creates the session); the client hears back only after `delayMs`. */
  private holdAnswer(res: Response, delayMs: number): void {
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.socket?.destroyed) end(...args);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
      return res;
    }) as Response['end'];
  }

  private apply(rule: FaultRule, route: FaultRoute, req: Request, res: Response, next: NextFunction): void {
    switch (rule.mode) {
      case 'status':
        sendOndatoError(res, rule.status ?? DEFAULT_STATUS, 'Injected fault');
        return;
      case 'retryAfter':
        res.set('Retry-After', String(rule.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS));
        sendOndatoError(res, 429, 'Too many requests (injected fault)');
        return;
      case 'latency': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!req.socket.destroyed) next();
        }, rule.latencyMs ?? DEFAULT_LATENCY_MS);
        timer.unref();
        this.timers.add(timer);
        return;
      }
      case 'drop':
        req.socket.destroy();
        return;
      case 'malformed':
        sendMalformed(route, rule.malformed ?? 'missing_field', req, res);
        return;
      case 'lateAnswer':
        this.holdAnswer(res, rule.latencyMs ?? DEFAULT_LATENCY_MS);
        next();
        return;
      case 'substitute':
        // The route answers with this resource instead of the one in the path (see ondato-routes.ts).
        res.locals[SUBSTITUTE_ID_LOCAL] = rule.substituteId;
        next();
        return;
    }
  }
}

/**
 * Bodies that look right at a glance but break the schema, each at a field worth naming in the error:
 * the client must report `access_token`, `id`, `step.kycIdentification.id`, `document.files.0.fileId`.
 */
function sendMalformed(
  route: FaultRoute,
  variant: 'missing_field' | 'invalid_json',
  req: Request,
  res: Response,
): void {
  const id = typeof req.params.id === 'string' ? req.params.id : 'unknown';
  if (route === 'downloadFile') {
    // A file cut off before its declared length: headers arrive, then the connection ends.
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '1000000' });
    res.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), () => req.socket.destroy());
    return;
  }
  if (variant === 'invalid_json') {
    res.status(200).type('application/json').send('{"id": "');
    return;
  }
  const bodies: Record<Exclude<FaultRoute, 'downloadFile'>, unknown> = {
    token: { token_type: 'Bearer', expires_in: 3600 },
    createIdv: {},
    getIdv: { id, status: 'Completed', step: { kycIdentification: { isSuccess: true } } },
    getKyc: { id, status: 'Approved', document: { type: 'IdCard', files: [{ fileName: 'front.jpg' }] } },
    // The redaction answer has no body the client reads: a malformed one is an HTML error page.
    redactIdv: '<html>gateway</html>',
  };
  res.status(200).json(bodies[route]);
}
