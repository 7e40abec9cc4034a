/**
 * Stand-ins for the binaries the compose jobs call (temporal, temporal-sql-tool, curl), installed on PATH by
 * test/deploy/support/job-runner.ts. Each records its argv, checks its flags the way the real tool does (a
 * missing required flag or an unknown one is an error, as with the real CLIs), and answers from a small state
 * file, so a job's script runs end to end: `temporal operator search-attribute create` without `--name` fails
 * here exactly as it fails against a real server.
 *
 * STAND_IN_STATE: the JSON state file (read and written); STAND_IN_LOG: one JSON line per call;
 * STAND_IN_FAIL: a substring of a call's argv that makes that call fail (the failure injection of a test).
 */
'use strict';
const fs = require('node:fs');

// Each tool on PATH is a two-line wrapper: `exec node stand-in.cjs <tool> "$@"`.
const [tool, ...args] = process.argv.slice(2);
const statePath = process.env.STAND_IN_STATE;
const state = statePath && fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : {};
fs.appendFileSync(process.env.STAND_IN_LOG, `${JSON.stringify({ tool, args })}\n`);

function finish(code, stdout = '', stderr = '') {
  fs.writeFileSync(statePath, JSON.stringify(state));
  if (stdout) process.stdout.write(stdout.endsWith('\n') ? stdout : `${stdout}\n`);
  if (stderr) process.stderr.write(stderr.endsWith('\n') ? stderr : `${stderr}\n`);
  process.exit(code);
}

const injected = process.env.STAND_IN_FAIL;
if (injected && `${tool} ${args.join(' ')}`.includes(injected)) {
  finish(1, '', `${tool}: injected failure`);
}

/** Splits argv into words (subcommand path) and `--flag value` pairs; `boolean` flags take no value. */
function parse(argv, known, boolean = []) {
  const words = [];
  const flags = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.replace(/^--?/, '').split(/=(.*)/s);
    if (!known.includes(name)) finish(1, '', `Error: unknown flag: ${arg}`);
    if (boolean.includes(name)) flags[name] = 'true';
    else if (inline !== undefined) flags[name] = inline;
    else if (i + 1 < argv.length) flags[name] = argv[(i += 1)];
    else finish(1, '', `Error: flag needs an argument: ${arg}`);
  }
  return { words, flags };
}

function require_(flags, ...names) {
  for (const name of names) {
    if (!flags[name]) finish(1, '', `Error: required flag(s) "${name}" not set`);
  }
}

function temporal() {
  const CLI_TYPES = ['Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];
  const { words, flags } = parse(args, [
    'address',
    'namespace',
    'n',
    'retention',
    'name',
    'type',
    'output',
    'o',
  ]);
  require_(flags, 'address');
  if (state.frontend === 'down')
    finish(1, '', `failed reaching server: connection refused (${flags.address})`);
  const namespaces = (state.namespaces ??= {});
  const namespace = flags.namespace ?? flags.n;
  const command = words.join(' ');
  switch (command) {
    case 'operator cluster health':
      return finish(0, 'SERVING');
    case 'operator namespace describe':
      require_({ namespace }, 'namespace');
      if (!namespaces[namespace])
        finish(1, '', `unable to describe namespace ${namespace}: Namespace ${namespace} is not found.`);
      return finish(0, `NamespaceInfo.Name  ${namespace}`);
    case 'operator namespace create':
      require_({ namespace }, 'namespace');
      require_(flags, 'retention');
      if (namespaces[namespace]) finish(1, '', `Namespace ${namespace} already exists`);
      namespaces[namespace] = { retention: flags.retention, attributes: {} };
      return finish(0, `Namespace ${namespace} successfully registered.`);
    case 'operator search-attribute list': {
      require_({ namespace }, 'namespace');
      if (!namespaces[namespace]) finish(1, '', `Namespace ${namespace} is not found.`);
      const rows = Object.entries({ WorkflowId: 'Keyword', ...namespaces[namespace].attributes });
      return finish(0, ['  Name  Type', ...rows.map(([name, type]) => `  ${name}  ${type}`)].join('\n'));
    }
    case 'operator search-attribute create': {
      require_({ namespace }, 'namespace');
      require_(flags, 'name', 'type');
      if (!CLI_TYPES.includes(flags.type))
        finish(1, '', `Error: invalid search attribute type "${flags.type}"`);
      const attributes = namespaces[namespace]?.attributes;
      if (!attributes) finish(1, '', `Namespace ${namespace} is not found.`);
      if (attributes[flags.name]) finish(1, '', `Search attribute ${flags.name} already exists.`);
      attributes[flags.name] = flags.type;
      return finish(0, 'Search attributes have been added');
    }
    default:
      return finish(1, '', `Error: unknown command "${command}"`);
  }
}

function temporalSqlTool() {
  const { words, flags } = parse(args, [
    'plugin',
    'endpoint',
    'port',
    'user',
    'database',
    'version',
    'schema-dir',
  ]);
  require_(flags, 'plugin', 'endpoint', 'port', 'user', 'database');
  if (!process.env.SQL_PASSWORD) finish(1, '', 'pq: password authentication failed for user');
  const databases = (state.databases ??= {});
  const database = flags.database;
  switch (words.join(' ')) {
    case 'create-database':
      // Like the real postgres12 plugin: an existing database is left alone, and that is a success.
      if (!(database in databases)) databases[database] = null;
      return finish(0);
    case 'setup-schema':
      require_(flags, 'version');
      if (!(database in databases)) finish(1, '', `pq: database "${database}" does not exist`);
      databases[database] ??= flags.version;
      return finish(0);
    case 'update-schema':
      require_(flags, 'schema-dir');
      if (!fs.existsSync(flags['schema-dir']))
        finish(1, '', `error listing directory ${flags['schema-dir']}`);
      if (databases[database] == null) finish(1, '', `unable to read schema version of ${database}`);
      databases[database] = `latest from ${flags['schema-dir']}`;
      return finish(0);
    default:
      return finish(1, '', `No help topic for '${words.join(' ')}'`);
  }
}

function curl() {
  const { words, flags } = parse(
    args,
    [
      'silent',
      'show-error',
      'output',
      'write-out',
      'max-time',
      'aws-sigv4',
      'user',
      'header',
      'request',
      'data-binary',
    ],
    ['silent', 'show-error'],
  );
  const [url] = words;
  if (!url) finish(2, '', 'curl: no URL specified');
  const store = (state.s3 ??= { buckets: {}, credentials: 'onboarding:dev-s3-secret-change-me' });
  const answer = (status, body = '') => {
    if (flags.output) fs.writeFileSync(flags.output, body);
    finish(0, flags['write-out'] === '%{http_code}' ? String(status) : body);
  };
  if (store.down) answer('000');
  if (!flags['aws-sigv4']?.startsWith('aws:amz:') || flags.user !== store.credentials) {
    answer(403, '<Error><Code>SignatureDoesNotMatch</Code></Error>');
  }
  const [bucket, ...key] = new URL(url).pathname.replace(/^\//, '').split('/');
  const method = flags.request ?? 'GET';
  if (key.length === 0) {
    if (method === 'PUT') {
      if (bucket in store.buckets) answer(409, '<Error><Code>BucketAlreadyExists</Code></Error>');
      store.buckets[bucket] = {};
      return answer(200);
    }
    if (method === 'HEAD') return answer(bucket in store.buckets ? 200 : 404);
  }
  const objects = store.buckets[bucket];
  if (!objects) answer(404, '<Error><Code>NoSuchBucket</Code></Error>');
  if (method === 'PUT') {
    objects[key.join('/')] = flags['data-binary'] ?? '';
    return answer(200);
  }
  if (method === 'DELETE') {
    delete objects[key.join('/')];
    return answer(204);
  }
  return answer(405);
}

const standIns = { temporal, 'temporal-sql-tool': temporalSqlTool, curl };
if (!standIns[tool]) finish(127, '', `no stand-in for ${tool}`);
standIns[tool]();
