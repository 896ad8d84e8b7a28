// What the packed tarball declares and holds: every value its type declarations export exists at
// run time (and the other way round), from `import` and from `require`; the declarations show no
// `@internal` members; and no shipped file refers to a file that is not in the package.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack, runNode, type Packed } from './packed.js';

let packed: Packed;
let pkg: string;

beforeAll(async () => {
  packed = await pack();
  const dir = await packed.consumer('contents', ['ws'], {
    'package.json': JSON.stringify({ name: 'contents', private: true, type: 'module' }),
    // Prints the run-time export names of each entry point, from import and from require.
    'keys.mjs': `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const keys = (ns) => Object.keys(ns).filter((k) => k !== 'default' && k !== '__esModule').sort();
      const out = {};
      for (const entry of ['wspool', 'wspool/otel']) {
        out[entry] = { import: keys(await import(entry)), require: keys(require(entry)) };
      }
      console.log(JSON.stringify(out));
    `,
  });
  pkg = path.join(dir, 'node_modules/wspool');
}, 120_000);

afterAll(async () => {
  await packed?.dispose();
});

/** The names a declaration file exports as values (classes, functions, constants), sorted. */
function declaredValues(file: string): string[] {
  const program = ts.createProgram([file], { strict: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const names: string[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const typeOnly = symbol.declarations?.some(
      (d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly),
    );
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (!typeOnly && target.flags & ts.SymbolFlags.Value) names.push(symbol.name);
  }
  return names.sort();
}

describe('the declared exports', () => {
  it.each([
    ['wspool', 'index'],
    ['wspool/otel', 'otel'],
  ])(
    'of %s exist at run time, from import and from require, and nothing else does',
    async (entry, base) => {
      const runtime = (await runNode(path.dirname(path.dirname(pkg)), 'keys.mjs')) as Record<
        string,
        { import: string[]; require: string[] }
      >;
      const esm = declaredValues(path.join(pkg, `dist/${base}.d.ts`));
      const cjs = declaredValues(path.join(pkg, `dist/${base}.d.cts`));
      expect(esm.length).toBeGreaterThan(0);
      expect({ esm, cjs }).toEqual({ esm: runtime[entry]!.import, cjs: runtime[entry]!.require });
    },
    60_000,
  );
});

describe('the shipped files', () => {
  const text = (file: string): Promise<string> => readFile(path.join(pkg, file), 'utf8');

  it('declare no @internal members: internal machinery stays out of the public types', async () => {
    for (const file of packed.files.filter((f) => /\.d\.c?ts$/.test(f))) {
      const found = (await text(file)).split('\n').filter((line) => line.includes('@internal'));
      expect(found, file).toEqual([]);
    }
  });

  it('refer to no file outside the package: no internal notes, no section numbers of other files', async () => {
    for (const file of packed.files.filter((f) => /\.(c?js|d\.c?ts|md)$/.test(f))) {
      const body = await text(file);
      for (const needle of ['shared/', 'API.md', '§']) {
        const found = body.split('\n').filter((line) => line.includes(needle));
        expect(found, `${file} mentions ${needle}`).toEqual([]);
      }
    }
  });
});
