/**
 * The SDK retries a failed gRPC call from a timer. If the connection is closed while a retry waits (a process
 * shutting down while Temporal is unreachable), the retry's new call throws "Channel has been shut down" from
 * that timer: an uncaught exception that kills the process, or the test file running at the time. This
 * interceptor sits under the retry interceptor and gives that retry a call that never answers: whoever still
 * awaited a call on a connection its owner closed has been abandoned already. Reporting a status instead is not
 * possible: the SDK's retry interceptor throws on a final status when no message ever arrived.
 */
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

const CHANNEL_SHUT_DOWN = 'Channel has been shut down';

/** A call that never reaches the network and never answers (it holds no timer, so nothing waits on it). */
function silentCall(): ConstructorParameters<typeof InterceptingCall>[0] {
  return {
    start: () => undefined,
    cancelWithStatus: () => undefined,
    getPeer: () => '',
    sendMessageWithContext: () => undefined,
    sendMessage: () => undefined,
    startRead: () => undefined,
    halfClose: () => undefined,
    getAuthContext: () => null,
  };
}

const closedChannelGuard: Interceptor = (options, nextCall) => {
  try {
    return new InterceptingCall(nextCall(options));
  } catch (error) {
    if (error instanceof Error && error.message === CHANNEL_SHUT_DOWN)
      return new InterceptingCall(silentCall());
    throw error;
  }
};

/** The SDK's default retry behaviour, with the guard beneath it (interceptors run outermost first). */
export function closedChannelGuardInterceptors(): Interceptor[] {
  return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), closedChannelGuard];
}
