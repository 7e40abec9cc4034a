/** Shared by the client and simulator tests: a simulator on a free loopback port and clients pointed at it. */
import type { OndatoHosts } from '../../config';
import { OndatoClient, type OndatoClientOptions } from '../../ondato/client';
import type { CreateIdvRequest } from '../../ondato/schemas';
import type { SimulatorOptions } from '../../simulator/app';
import { SimulatorControl } from '../../simulator/control-client';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { SAMPLE_REGISTRATION } from '../../simulator/sample-registration';

export const CLIENT_ID = 'test-client';
export const CLIENT_SECRET = 'test-secret-do-not-leak';
export const SETUP_ID = '00000000-0000-4000-8000-000000000001';

export const REGISTRATION = SAMPLE_REGISTRATION satisfies CreateIdvRequest['registration'];

export interface TestSimulator {
  running: RunningSimulator;
  control: SimulatorControl;
  hosts: OndatoHosts;
  client(options?: Partial<OndatoClientOptions>): OndatoClient;
  close(): Promise<void>;
}

export async function startTestSimulator(options: Partial<SimulatorOptions> = {}): Promise<TestSimulator> {
  const running = await startSimulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options });
  const hosts: OndatoHosts = {
    tokenUrl: `${running.url}/connect/token`,
    idvApiUrl: running.url,
    kycApiUrl: running.url,
    webFlowUrl: `${running.url}/idv`,
  };
  return {
    running,
    control: new SimulatorControl(running.url),
    hosts,
    client: (overrides = {}) =>
      new OndatoClient({
        hosts,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        requestTimeoutMs: 5_000,
        ...overrides,
      }),
    close: () => running.close(),
  };
}

export function createRequest(externalReferenceId = 'customer-1'): CreateIdvRequest {
  return { setupId: SETUP_ID, externalReferenceId, registration: REGISTRATION };
}

/** Polls until `probe` returns something truthy. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 10, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `promise` and returns what it threw (fails the test if it resolved). */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
