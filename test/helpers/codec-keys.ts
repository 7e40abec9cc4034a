/**
 * Fixed test keys of the payload codec and the document store. Fixed on purpose: the encrypted histories in
 * test/histories were recorded with them and the replay test decrypts them with the same ring. Test-only
 * material, never used outside the test suite (production refuses only the development key; these are
 * not secrets).
 */
import { KeyRing } from '../../codec/keys';
import { dataConverterFromKeys } from '../../codec/data-converter';

export const TEST_KEY_A = { id: 'test-a', material: 'QbBVB508dyZWV6fDqfcmJtfl6pRlvDISoHYhTxAwmJQ=' } as const;
export const TEST_KEY_B = { id: 'test-b', material: 'uctQr3u+xhIjW6j3FvTweXqnb3EqW8n04eYbE4M/FEM=' } as const;

type TestKey = typeof TEST_KEY_A | typeof TEST_KEY_B;

/** The CODEC_KEYS value for these keys. */
export function codecKeysEnv(...keys: TestKey[]): string {
  return keys.map((key) => `${key.id}:${key.material}`).join(',');
}

export function testKeyRing(
  keys: TestKey[] = [TEST_KEY_A, TEST_KEY_B],
  activeKeyId: string = keys[0].id,
): KeyRing {
  return new KeyRing(
    keys.map((key) => ({ id: key.id, key: Buffer.from(key.material, 'base64') })),
    activeKeyId,
  );
}

/** Decrypts whatever the tests encrypted (either key); encrypts with key A. */
export const testDataConverter = () => dataConverterFromKeys(testKeyRing());

/** What the test environments set, so every test client, worker and worker process uses key A. */
export const TEST_CODEC_ENV = { CODEC_KEYS: codecKeysEnv(TEST_KEY_A) } as const;
