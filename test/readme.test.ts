// The README and the guides in docs/, as a newcomer reads them: every relative link leads to a file
// of the repository (npm resolves the README's links against it), and the README's error table
// lists every code the library can raise.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/index.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const markdown = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'bench/results/HISTORY.md',
];

describe('the README and the guides', () => {
  it.each(markdown)('%s links only to files that exist', (file) => {
    const targets = [...read(file).matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)].map((m) => m[1]!);
    for (const target of targets) {
      expect(existsSync(path.join(root, path.dirname(file), target)), `${file} → ${target}`).toBe(true);
    }
  });

  it('the README links every guide in docs/', () => {
    const readme = read('README.md');
    for (const file of markdown.filter((f) => f.startsWith('docs/'))) expect(readme).toContain(`](${file})`);
  });

  it('the README error table lists every error code', () => {
    const readme = read('README.md');
    for (const code of ERROR_CODES) expect(readme).toContain(`| \`${code}\``);
  });
});
