/** Counts requests per simulated Ondato route, faulted ones included (tests assert on token requests). */
import type { RequestHandler } from 'express';
import { FAULT_ROUTES, type FaultRoute } from './control-schemas';

export type RouteCounts = Record<FaultRoute, number>;

export class RequestCounter {
  private readonly counts: RouteCounts = Object.fromEntries(
    FAULT_ROUTES.map((route) => [route, 0]),
  ) as RouteCounts;

  middleware(route: FaultRoute): RequestHandler {
    return (_req, _res, next) => {
      this.counts[route] += 1;
      next();
    };
  }

  snapshot(): RouteCounts {
    return { ...this.counts };
  }
}
