import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DEV_DEFAULTS, envSchema, loadConfig } from '../../config';

const ROOT = path.resolve(__dirname, '..', '..');
const variables = Object.keys(envSchema.shape);

describe('configuration', () => {
  it('documents every variable in the README table and in .env.example', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const inTable = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]));
    const inExample = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect(variables.filter((name) => !inTable.has(name))).toEqual([]);
    expect([...inTable].filter((name) => !variables.includes(name))).toEqual([]);
    expect(variables.filter((name) => !inExample.has(name))).toEqual([]);
  });

  it('runs on embedded defaults against the simulator', () => {
    const config = loadConfig({});
    expect(config.ondato.usesSimulator).toBe(true);
    expect(config.ondato.hosts.webFlowUrl).toBe('http://127.0.0.1:4010/idv');
    expect(config.api.keys).toEqual([DEV_DEFAULTS.apiKey]);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ API_PORT: '', ONDATO_KYC_API_URL: '' }).api.port).toBe(3000);
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ API_PORT: 'abc', ONDATO_SETUP_ID: 'nope' })).toThrow(ConfigError);
    try {
      loadConfig({ API_PORT: 'abc', ONDATO_SETUP_ID: 'nope' });
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
        'API_PORT',
        'ONDATO_SETUP_ID',
      ]);
    }
  });

  it('refuses real Ondato with development secrets, and needs a KYC host for the sandbox', () => {
    expect(() => loadConfig({ ONDATO_ENV: 'production' })).toThrow(/ONDATO_CLIENT_SECRET/);
    expect(() =>
      loadConfig({
        ONDATO_ENV: 'sandbox',
        ONDATO_CLIENT_ID: 'id',
        ONDATO_CLIENT_SECRET: 'secret',
        ONDATO_SETUP_ID: '6f0c7d4e-2a43-4c59-9a3f-2f3e0b1a9c11',
        WEBHOOK_PASSWORD: 'p',
        CALLBACK_SECRET: 's',
        API_KEYS: 'k',
        CODEC_KEYS: `prod:${Buffer.alloc(32, 7).toString('base64')}`,
      }),
    ).toThrow(/ONDATO_KYC_API_URL/);
  });
});
