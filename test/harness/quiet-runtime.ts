/**
 * Installs the Temporal Runtime for every test file with the service's logger adapter (observability/), which
 * keeps the SDK's chatter (worker state changes, expected activity failures, the replay test's deliberate
 * nondeterminism) out of test output; errors still show. Tests capture it through ./runtime-log.ts.
 */
import { installRuntimeLogging } from '../../observability/runtime-logger';
import { runtimeLogger } from './runtime-log';

// The core's own logs (errors only) stay on stderr: forwarding them would keep test files without a worker alive.
installRuntimeLogging(runtimeLogger, { coreLevel: 'ERROR', forwardCoreLogs: false });
