/**
 * YAML to plain values for the deploy tests. The project has no YAML parser of its own (js-yaml is only a
 * transitive dependency of jest), so this asks PyYAML, the parser Debian's docker-compose itself runs on.
 */
import { spawnSync } from 'node:child_process';

const TO_JSON = 'import json, sys, yaml; json.dump(list(yaml.safe_load_all(sys.stdin)), sys.stdout)';

let interpreter: string | undefined;

function python(): string {
  if (interpreter) return interpreter;
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0) {
      interpreter = candidate;
      return candidate;
    }
  }
  throw new Error('no python3 with PyYAML (apt-get install python3-yaml, which docker-compose brings too)');
}

/** Every document of a YAML stream (empty documents dropped). */
export function parseYamlDocuments(text: string): unknown[] {
  const result = spawnSync(python(), ['-c', TO_JSON], { input: text, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`YAML did not parse: ${result.stderr}`);
  return (JSON.parse(result.stdout) as unknown[]).filter((document) => document !== null);
}
