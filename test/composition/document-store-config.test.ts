/** DOCUMENT_STORE and the DOCUMENT_S3_* variables resolved into the store the worker gets (no server needed). */
import { LocalDocumentStore } from '../../storage/local-store';
import { S3DocumentStore } from '../../storage/s3-store';
import { createDocumentStore } from '../../storage/store-factory';
import { ConfigError, loadConfig } from '../../config';
import { testKeyRing } from '../helpers/codec-keys';

const S3_ENV = {
  DOCUMENT_STORE: 's3',
  DOCUMENT_S3_BUCKET: 'docs',
  DOCUMENT_S3_ENDPOINT: 'http://127.0.0.1:8333',
  DOCUMENT_S3_FORCE_PATH_STYLE: 'true',
  DOCUMENT_S3_ACCESS_KEY_ID: 'ak',
  DOCUMENT_S3_SECRET_ACCESS_KEY: 'sk',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('document store configuration', () => {
  it('keeps the local store by default', () => {
    const config = loadConfig({});
    expect(config.documents).toEqual({ store: 'local', dir: '.data/documents' });
    expect(createDocumentStore(config.documents, testKeyRing())).toBeInstanceOf(LocalDocumentStore);
  });

  it('resolves the S3 settings, adding the prefix slash and the part size in bytes', () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const config = loadConfig({
      ...S3_ENV,
      DOCUMENT_S3_PREFIX: 'tenant-a/documents',
      DOCUMENT_S3_SSE: 'sse-c',
      DOCUMENT_S3_SSE_C_KEY: key,
      DOCUMENT_S3_PART_SIZE_MB: '16',
    });
    expect(config.documents.s3).toEqual({
      bucket: 'docs',
      prefix: 'tenant-a/documents/',
      endpoint: 'http://127.0.0.1:8333',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'ak', secretAccessKey: 'sk' },
      serverSideEncryption: { mode: 'sse-c', key: Buffer.alloc(32, 9) },
      partSizeBytes: 16 * 1024 * 1024,
      queueSize: 2,
    });
    expect(createDocumentStore(config.documents, testKeyRing())).toBeInstanceOf(S3DocumentStore);
    // No static credentials: the SDK's default chain.
    const { DOCUMENT_S3_ACCESS_KEY_ID: _id, DOCUMENT_S3_SECRET_ACCESS_KEY: _secret, ...chain } = S3_ENV;
    expect(loadConfig(chain).documents.s3?.credentials).toBeUndefined();
    expect(loadConfig({ ...S3_ENV, DOCUMENT_S3_SSE: 'sse-s3' }).documents.s3?.serverSideEncryption).toEqual({
      mode: 'sse-s3',
    });
  });

  it('names every incomplete or unsafe S3 setting', () => {
    expect(problemsOf({ DOCUMENT_STORE: 's3' })).toEqual([
      'DOCUMENT_S3_BUCKET: required when DOCUMENT_STORE=s3',
    ]);
    expect(problemsOf({ ...S3_ENV, DOCUMENT_S3_SECRET_ACCESS_KEY: '' })).toEqual([
      'DOCUMENT_S3_ACCESS_KEY_ID, DOCUMENT_S3_SECRET_ACCESS_KEY: set both or neither',
    ]);
    expect(problemsOf({ ...S3_ENV, DOCUMENT_S3_SSE: 'sse-c' })).toEqual([
      'DOCUMENT_S3_SSE_C_KEY: required when DOCUMENT_S3_SSE=sse-c',
    ]);
    expect(problemsOf({ ...S3_ENV, DOCUMENT_S3_SSE_C_KEY: 'c2hvcnQ=' })).toEqual([
      'DOCUMENT_S3_SSE_C_KEY: base64 of exactly 32 bytes',
    ]);
    expect(problemsOf({ ...S3_ENV, DOCUMENT_S3_PREFIX: 'a/../b' })).toEqual([
      'DOCUMENT_S3_PREFIX: no .. segments',
    ]);
    expect(problemsOf({ ...S3_ENV, DOCUMENT_S3_PREFIX: '/abs' })[0]).toMatch(/^DOCUMENT_S3_PREFIX: /);
    expect(problemsOf({ ...S3_ENV, DOCUMENT_S3_PART_SIZE_MB: '4' })[0]).toMatch(
      /^DOCUMENT_S3_PART_SIZE_MB: /,
    );
  });
});
