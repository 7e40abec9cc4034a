/**
 * How every process reaches Temporal, in one place: the connection options of clients (API, tests, bench) and
 * workers come from here, so TLS or API keys for a remote cluster are added once.
 */
import type { TemporalSettings } from '../config';

export interface TemporalConnectionOptions {
  address: string;
}

export function temporalConnectionOptions(
  temporal: Pick<TemporalSettings, 'address'>,
): TemporalConnectionOptions {
  return { address: temporal.address };
}
