/**
 * The SDK retries a failed gRPC call from a timer. If the connection is closed while a retry waits (a process
 * shutting down while Temporal is unreachable), the retry's new call throws "Channel has been shut down" from
 * that timer: an uncaught exception that kills the process, or the test file running at the time. This
 * interceptor sits under the retry interceptor and turns that into a CANCELLED status the caller can handle.
 */
import { InterceptingCall, Metadata, status, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

const CHANNEL_SHUT_DOWN = 'Channel has been shut down';

/** A call that never reaches the network: it reports CANCELLED as soon as it is started. */
function cancelledCall(): ConstructorParameters<typeof InterceptingCall>[0] {
  return {
    start(_metadata, listener) {
      setImmediate(() =>
        listener?.onReceiveStatus?.({
          code: status.CANCELLED,
          details: 'the Temporal connection was closed',
          metadata: new Metadata(),
        }),
      );
    },
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
      return new InterceptingCall(cancelledCall());
    throw error;
  }
};

/** The SDK's default retry behaviour, with the guard beneath it (interceptors run outermost first). */
export function closedChannelGuardInterceptors(): Interceptor[] {
  return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), closedChannelGuard];
}
