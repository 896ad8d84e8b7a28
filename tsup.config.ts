import path from 'node:path';
import { defineConfig, type Options } from 'tsup';

/** Both builds: Node 20 syntax, Node built-ins keep their `node:` prefix, no code splitting. */
const common = {
  target: 'node20',
  platform: 'node',
  splitting: false,
  removeNodeProtocol: false,
  // No source maps in the package: the output is unminified, readable JavaScript with the source's
  // names and line structure, so stack traces are usable as they are; maps were 1.25 MB of the
  // 2 MB unpacked size.
  sourcemap: false,
} satisfies Options;

/**
 * The CLI's `import … from '../index.js'` (the library's public entry) resolves to the library
 * build beside it, `./index.js`, instead of being bundled: one copy of the library, loaded once.
 */
const cliUsesLibraryBuild: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'cli-uses-library-build',
  setup(build) {
    const cliDir = `${path.sep}src${path.sep}cli${path.sep}`;
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      args.importer.includes(cliDir) ? { path: './index.js', external: true } : undefined,
    );
  },
};

export default defineConfig([
  {
    ...common,
    // The library: `wspool` and `wspool/otel`, each as ESM (.js + .d.ts) and CommonJS (.cjs +
    // .d.cts). No code splitting: the otel entry carries its own copy of the tiny modules it shares
    // with the main one (channel names, the error class), so neither loads the other. Both are safe
    // to duplicate: channels are looked up by name in a process-wide registry, and `instanceof
    // WsPoolError` holds across copies. `@opentelemetry/api` is only imported as types, never bundled.
    entry: { index: 'src/index.ts', otel: 'src/otel/index.ts' },
    format: ['esm', 'cjs'],
    // `@internal` members (the pools' private protocol with their connections, keyed by unexported
    // symbols) stay out of the published declarations: users cannot call them, and a value the
    // declarations name must exist at run time. So `@internal` goes only on members of public
    // classes and on values no other declaration names: stripping a type another module's
    // declarations use breaks this build ("X is not exported by …").
    dts: { compilerOptions: { stripInternal: true } },
    // The CLI build below writes into the same folder at the same time: never clean its output.
    clean: ['!cli.js'],
    external: ['@opentelemetry/api'],
  },
  {
    ...common,
    // `npx wspool`: src/cli/main.ts starts with a `#!/usr/bin/env node` line, which esbuild keeps
    // and tsup marks executable. ESM only: the CLI is run, never imported.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    esbuildPlugins: [cliUsesLibraryBuild],
  },
]);
