/**
 * A call still retrying when its connection closes (a process shutting down while Temporal is away) must not
 * end in an uncaught "Channel has been shut down" thrown from the SDK's retry timer.
 */
import { Connection } from '@temporalio/client';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

describe('a Temporal connection closed while a call retries', () => {
  const uncaught: Error[] = [];
  const record = (error: Error): void => {
    uncaught.push(error);
  };
  beforeAll(() => process.prependListener('uncaughtException', record));
  afterAll(() => process.removeListener('uncaughtException', record));

  it('leaves the abandoned call unanswered instead of throwing from a timer', async () => {
    // Nothing listens on port 1: the call fails UNAVAILABLE and the SDK schedules a retry.
    const connection = Connection.lazy({
      address: '127.0.0.1:1',
      interceptors: closedChannelGuardInterceptors(),
    });
    const call = connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await connection.close();
    const outcome = await Promise.race([
      call,
      new Promise((resolve) => setTimeout(() => resolve('still pending'), 5_000)),
    ]);
    expect(outcome).toBe('still pending');
    expect(uncaught.map((error) => error.message)).toEqual([]);
  });
});
