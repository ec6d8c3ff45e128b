// The esbuild options every bundle shares. The benchmark bundles its baselines (the official
// OpenTelemetry init, Powertools) with them too, so that both sides are built the same way.
export const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Without mainFields the OpenTelemetry packages come in as CommonJS, several times larger.
  mainFields: ['module', 'main'],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some dependencies call require() on Node built-ins; ESM output needs a require to hand them.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
};
