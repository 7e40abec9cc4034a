/**
 * The foundation: a real dev server from the project's own setup, with the custom search attributes
 * registered and queryable through visibility.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { CustomerIdKey, OnboardingStageKey, SEARCH_ATTRIBUTE_KEYS } from '../../contract';
import { harness } from '../harness/env';
import { waitFor } from '../helpers/wait-for';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

describe('test harness', () => {
  const { address, namespace } = harness();
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    connection = await Connection.connect({ interceptors: closedChannelGuardInterceptors(), address });
    client = new Client({ connection, namespace });
  });
  afterAll(async () => {
    await connection.close();
  });

  it('registers every custom search attribute as a Keyword', async () => {
    const response = await connection.operatorService.listSearchAttributes({ namespace });
    const registered = response.customAttributes ?? {};
    for (const { name } of SEARCH_ATTRIBUTE_KEYS) {
      // 2 = INDEXED_VALUE_TYPE_KEYWORD
      expect({ name, type: registered[name] }).toEqual({ name, type: 2 });
    }
  });

  it('runs a workflow on the real server and finds it by its search attributes', async () => {
    const taskQueue = `harness-${randomUUID()}`;
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/probe-workflows'),
    });
    const customerId = `probe-${randomUUID()}`;
    try {
      await worker.runUntil(async () => {
        const result = await client.workflow.execute('probeWorkflow', {
          taskQueue,
          workflowId: `probe-${customerId}`,
          args: [customerId],
          typedSearchAttributes: [{ key: CustomerIdKey, value: customerId }],
        });
        expect(result).toBe(`probed ${customerId}`);
      });
      const found = await waitFor(async () => {
        const runs = [];
        for await (const run of client.workflow.list({
          query: `CustomerId = '${customerId}' AND OnboardingStage = 'probed'`,
        })) {
          runs.push(run);
        }
        return runs.length === 1 ? runs : undefined;
      });
      expect(found[0].workflowId).toBe(`probe-${customerId}`);
      expect(found[0].typedSearchAttributes.get(OnboardingStageKey)).toBe('probed');
    } finally {
      await nativeConnection.close();
    }
  });
});
