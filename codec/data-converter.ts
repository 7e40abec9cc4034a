/**
 * The one data converter of every Temporal client and worker of the project (worker, API, local stack, tests,
 * benchmarks): the default payload converter (JSON) followed by the encrypting codec.
 */
import type { DataConverter, LoadedDataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import type { KeyRing } from './keys';

export function dataConverterFromKeys(keys: KeyRing): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}

/** From an `AppConfig` (`loadConfig()`), or anything carrying its key ring. */
export function createDataConverter(config: { codec: { keyRing: KeyRing } }): DataConverter {
  return dataConverterFromKeys(config.codec.keyRing);
}

/** True when the converter encrypts payloads: workers and the API refuse to run without it. */
export function encryptsPayloads(
  converter: Pick<DataConverter | LoadedDataConverter, 'payloadCodecs'> | undefined,
): boolean {
  return (converter?.payloadCodecs ?? []).some((codec) => codec instanceof AesGcmPayloadCodec);
}
