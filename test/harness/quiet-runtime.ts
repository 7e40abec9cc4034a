/** Keeps the SDK's worker chatter (state changes at INFO) out of test output; warnings and errors still show. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
