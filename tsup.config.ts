import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: `wspool` and `wspool/otel`, each as ESM (.js + .d.ts) and CommonJS (.cjs +
    // .d.cts). No code splitting: the otel entry carries its own copy of the tiny modules it shares
    // with the main one (channel names, the error class), so neither loads the other. Both are safe
    // to duplicate: channels are looked up by name in a process-wide registry, and `instanceof
    // WsPoolError` holds across copies. `@opentelemetry/api` is only imported as types, never bundled.
    entry: { index: 'src/index.ts', otel: 'src/otel/index.ts' },
    format: ['esm', 'cjs'],
    // `@internal` members (the pools' private protocol with their connections, keyed by unexported
    // symbols) stay out of the published declarations: users cannot call them, and a value the
    // declarations name must exist at run time.
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    // The CLI build below writes into the same folder at the same time: never clean its output.
    clean: ['!cli.js', '!cli.js.map'],
    target: 'node20',
    platform: 'node',
    splitting: false,
    external: ['@opentelemetry/api'],
    removeNodeProtocol: false,
  },
  {
    // `npx wspool`: src/cli/main.ts starts with a `#!/usr/bin/env node` line, which esbuild keeps
    // and tsup marks executable. ESM only: the CLI is run, never imported.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    removeNodeProtocol: false,
  },
]);
