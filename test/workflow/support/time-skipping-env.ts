/**
 * The onboarding workflow on Temporal's time-skipping test server, with stubbed activities: days-long deadlines
 * pass in milliseconds. One server and one worker per test file (time skipping is global to a server, so the
 * tests of a file run one after another, as jest does), a fresh customer and scripted Ondato per test.
 *
 * Client and worker use the project's encrypting data converter (test keys), as production does.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  customerLinkUpdate,
  getStateQuery,
  ondatoWebhookSignal,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  SEARCH_ATTRIBUTE_KEYS,
  type CustomerLink,
  type OnboardingInput,
  type OnboardingState,
  type OndatoWebhookSignal,
} from '../../../contract';
import type { OnboardingActivities } from '../../../activities';
import type { onboardingWorkflow } from '../../../workflows/onboarding';
import { ensureTestServer } from '../../../scripts/time-skipping-server';
import { harness } from '../../harness/env';
import { testDataConverter } from '../../helpers/codec-keys';
import { FakeOndato, REGISTRATION } from './fake-ondato';

const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type OnboardingHandle = WorkflowHandle<typeof onboardingWorkflow>;

async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const server = await ensureTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: server.path } },
    client: { dataConverter: testDataConverter() },
  });
  // The test server validates upserted search attributes against its registry, like a real server.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]]),
    ),
  });
  return env;
}

export interface Scenario {
  env: TestWorkflowEnvironment;
  ondato: FakeOndato;
  customerId: string;
  workflowId: string;
  /** Starts the run as the API does (update-with-start) and returns the customer link with the handle. */
  start(input?: Partial<OnboardingInput>): Promise<{ link: CustomerLink; handle: OnboardingHandle }>;
  /** The workflow clock of the test server. */
  now(): Promise<number>;
}

export interface TestBed {
  env: TestWorkflowEnvironment;
  /**
   * Runs `body` against a fresh customer and its own scripted Ondato. A run still open at the end is
   * terminated, so a test that leaves one waiting cannot hold time skipping for the next test.
   */
  scenario(body: (scenario: Scenario) => Promise<void>): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * Activities route to the scenario of the run that scheduled them (by workflow id), so one worker serves every
 * test of a file: creating a worker loads the workflow bundle, which costs more than most scenarios.
 */
function routedActivities(fakes: Map<string, OnboardingActivities>): OnboardingActivities {
  const fakeOfCaller = (): OnboardingActivities => {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '(none)';
    const fake = fakes.get(workflowId);
    if (!fake) throw ApplicationFailure.nonRetryable(`no scenario for ${workflowId}`, 'TestMisuse');
    return fake;
  };
  return {
    createVerification: (input) => fakeOfCaller().createVerification(input),
    getVerification: (idvId, expected) => fakeOfCaller().getVerification(idvId, expected),
    getIdentification: (kycId, expected) => fakeOfCaller().getIdentification(kycId, expected),
    redactExtraVerification: (input) => fakeOfCaller().redactExtraVerification(input),
    storeDocument: (input) => fakeOfCaller().storeDocument(input),
    storeDocuments: (input) => fakeOfCaller().storeDocuments(input),
    notifyBackend: (input) => fakeOfCaller().notifyBackend(input),
  };
}

/** One time-skipping server and one worker for a test file (see the top of this file). */
export async function startTestBed(): Promise<TestBed> {
  const env = await createTimeSkippingEnv();
  const fakes = new Map<string, OnboardingActivities>();
  const taskQueue = `onboarding-ts-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: harness().bundlePath },
    activities: routedActivities(fakes),
    dataConverter: testDataConverter(),
    shutdownGraceTime: '1 second',
  });
  const running = worker.run();
  const stopped = running.then(() => {
    throw new Error('the worker stopped during a scenario');
  });
  stopped.catch(() => undefined); // observed by each scenario's race below

  async function scenario(body: (scenario: Scenario) => Promise<void>): Promise<void> {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    const workflowId = onboardingWorkflowId(customerId);
    const ondato = new FakeOndato(customerId);
    fakes.set(workflowId, ondato.activities());
    const client = env.client;
    try {
      await Promise.race([
        body({
          env,
          ondato,
          customerId,
          workflowId,
          async start(input = {}) {
            const startOperation = new WithStartWorkflowOperation<typeof onboardingWorkflow>(
              ONBOARDING_WORKFLOW_TYPE,
              {
                workflowId,
                taskQueue,
                // No hand-over to aftercare: this test server stalls after one (OnboardingInput.handOverToAftercare).
                args: [{ customerId, registration: REGISTRATION, handOverToAftercare: false, ...input }],
                workflowIdConflictPolicy: 'USE_EXISTING',
              },
            );
            const link = await client.workflow.executeUpdateWithStart(customerLinkUpdate, {
              startWorkflowOperation: startOperation,
            });
            return { link, handle: await startOperation.workflowHandle() };
          },
          now: () => env.currentTimeMs(),
        }),
        stopped,
      ]);
    } finally {
      // A test that fails while it holds an activity open must not leave the worker busy with it.
      ondato.releaseAll();
      await terminateIfRunning(client, workflowId);
      fakes.delete(workflowId);
    }
  }

  return {
    env,
    scenario,
    async teardown() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

async function terminateIfRunning(client: Client, workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name === 'RUNNING') await handle.terminate('test finished');
  } catch (error) {
    if ((error as { name?: string }).name !== 'WorkflowNotFoundError') throw error;
  }
}

/** A keyword search attribute of the run, as the server holds it. */
export async function keywordAttribute(
  handle: OnboardingHandle,
  key: (typeof SEARCH_ATTRIBUTE_KEYS)[number],
): Promise<string | undefined> {
  return (await handle.describe()).typedSearchAttributes.get(key);
}

export function stateOf(handle: OnboardingHandle): Promise<OnboardingState> {
  return handle.query(getStateQuery);
}

/** Polls the state query (real time) until `predicate` holds; the workflow clock does not move meanwhile. */
export async function stateWhen(
  handle: OnboardingHandle,
  predicate: (state: OnboardingState) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<OnboardingState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await stateOf(handle);
    if (predicate(state)) return state;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(state)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The run is in the customer wait (its deadline is set in the same workflow task that begins the wait). A new
 * IDV's status is known from its create, so a lean run begins the wait without a check: this is the point to
 * sync on, not a first `getVerification`.
 */
export function inCustomerWait(handle: OnboardingHandle): Promise<OnboardingState> {
  return stateWhen(
    handle,
    (state) => state.stage === 'awaiting_customer' && state.customerDeadlineAt !== undefined,
    'the customer wait',
  );
}

/**
 * What the API relays when Ondato posts a webhook: ids, and the payload's status as `hint` when the test passes
 * one. Without a hint (a payload that said nothing useful) the run always checks with Ondato.
 */
export function webhook(
  handle: OnboardingHandle,
  signal: Partial<OndatoWebhookSignal> & { deliveryId: string },
): Promise<void> {
  return handle.signal(ondatoWebhookSignal, { type: 'IdentityVerification.Completed', ...signal });
}
