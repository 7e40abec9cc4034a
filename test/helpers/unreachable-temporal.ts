import type { Connection } from '@temporalio/client';

/**
 * Closes a client connection to a Temporal that never answered. The API answers 503 at its own deadline, but the
 * client's call keeps retrying for up to ~1 s past it; closing the channel under such a retry makes grpc throw
 * "Channel has been shut down" from a timer, which kills the jest worker. So let those retries run out first.
 */
export async function closeUnreachableConnection(connection: Connection | undefined): Promise<void> {
  if (!connection) return;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await connection.close().catch(() => undefined);
}
