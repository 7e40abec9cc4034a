/**
 * `GET /docs`: Swagger UI (the swagger-ui-dist package, served from node_modules) rendering /openapi.json.
 * Everything it loads comes from this service: no CDN, no fonts, no validator badge; the page's
 * Content-Security-Policy allows nothing else.
 */
import path from 'node:path';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Swagger UI's start-up, as a file: the page has no inline script. */
const INITIALIZER = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
});
`;

export type DocsAsset = { type: string } & ({ file: string } | { text: string });

/** What the page loads, by the name in `/docs/{asset}`; nothing else of the package is reachable. */
export const DOCS_ASSETS = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: path.join(SWAGGER_UI_DIR, 'swagger-ui.css') },
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    file: path.join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'),
  },
  'docs.js': { type: 'text/javascript; charset=utf-8', text: INITIALIZER },
} satisfies Record<string, DocsAsset>;
export type DocsAssetName = keyof typeof DOCS_ASSETS;
export const DOCS_ASSET_NAMES = Object.keys(DOCS_ASSETS) as [DocsAssetName, ...DocsAssetName[]];

/**
 * Scripts and styles from this origin only; Swagger UI sets styles through the DOM (allowed) and shows its
 * icons as data: images; `connect-src 'self'` lets it fetch the document and send "Try it out" calls here.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ondato onboarding API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/docs.js"></script>
</body>
</html>
`;
