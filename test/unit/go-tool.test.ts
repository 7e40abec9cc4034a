/** Go tool provisioning (scripts/go-tool.ts): overrides, the cache, and a clear error without Go. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ensureGoTool,
  findGoTool,
  goToolPath,
  overrideVariable,
  type GoToolSpec,
} from '../../scripts/go-tool';

const SPEC: GoToolSpec = {
  tool: 'temporal-ui-server',
  version: 'v9.9.9',
  module: 'example.com/ui',
  pkg: 'cmd/server',
  binaryName: 'temporal-ui-server',
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'go-tool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function executable(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

test('the override variable is named after the tool', () => {
  expect(overrideVariable('temporal-ui-server')).toBe('TEMPORAL_UI_SERVER_PATH');
  expect(overrideVariable('temporal-sql-tool')).toBe('TEMPORAL_SQL_TOOL_PATH');
});

test('an explicit override wins; one that is not executable is an error, not a fallback', () => {
  const binary = executable(path.join(dir, 'my-ui'));
  expect(findGoTool(SPEC, { TEMPORAL_UI_SERVER_PATH: binary })).toEqual({ path: binary, source: 'override' });
  expect(() => findGoTool(SPEC, { TEMPORAL_UI_SERVER_PATH: path.join(dir, 'missing') })).toThrow(
    /TEMPORAL_UI_SERVER_PATH=.* is not an executable file/,
  );
});

test('a binary in the per-user cache (keyed by tool and version) is reused without Go', async () => {
  const env = { XDG_CACHE_HOME: dir, PATH: '' };
  expect(goToolPath(SPEC, env)).toBe(
    path.join(dir, 'ondato-onboarding', 'temporal-ui-server', 'v9.9.9', 'temporal-ui-server'),
  );
  expect(findGoTool(SPEC, env)).toBeUndefined();
  executable(goToolPath(SPEC, env));
  await expect(ensureGoTool(SPEC, { env, log: () => undefined })).resolves.toEqual({
    path: goToolPath(SPEC, env),
    source: 'cache',
  });
});

test('nothing cached and no Go: the error names the override and what to build', async () => {
  await expect(
    ensureGoTool(SPEC, { env: { XDG_CACHE_HOME: dir, PATH: '' }, log: () => undefined }),
  ).rejects.toThrow(/no Go toolchain.*example\.com\/ui\/cmd\/server@v9\.9\.9.*TEMPORAL_UI_SERVER_PATH/s);
});
