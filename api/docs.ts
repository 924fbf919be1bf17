/** Interactive API docs at /docs, served from the swagger-ui-dist package (no CDN). */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Fulfillment engine API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const init = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });`;

export function docsRouter(): Router {
  const router = Router();
  router.use('/docs/assets', express.static(swaggerUiDir, { index: false }));
  router.get('/docs/init.js', (_req, res) => res.type('application/javascript').send(init));
  router.get('/docs', (_req, res) => res.type('html').send(page));
  return router;
}
