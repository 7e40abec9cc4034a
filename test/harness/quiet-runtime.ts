/**
 * Keeps the SDK's chatter (worker state changes, expected activity failures, the replay test's deliberate
 * nondeterminism) out of test output; errors still show.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});
