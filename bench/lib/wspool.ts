/**
 * wspool as its users load it: the built package (`dist/`, what `npm install wspool` gives), not
 * the TypeScript sources. The bench runs under tsx, whose transform wraps every named function
 * created at run time in a `__name` helper; on the exclusive echo path that cost about 1.3 µs of
 * client CPU per call that no user pays. `npm run bench` builds `dist/` first.
 * @module
 */
export * from '../../dist/index.js';
