/**
 * Every test file's Temporal connections get the closed-channel guard (composition/grpc-closed-channel.ts) unless
 * they bring interceptors of their own. Tests close connections to servers that are down or gone on purpose; a
 * retry still waiting in the SDK would otherwise throw "Channel has been shut down" from its timer into
 * whichever test file runs next in this jest worker. The service's own connections have the guard already
 * (composition/client.ts); this covers the raw ones tests and @temporalio/testing make.
 */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

const unguardedLazy = Connection.lazy.bind(Connection);
Connection.lazy = (options?: ConnectionOptions): Connection =>
  unguardedLazy({ interceptors: closedChannelGuardInterceptors(), ...options });
