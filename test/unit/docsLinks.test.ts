/**
 * The map must not be behind the territory: every repository path the docs name exists.
 *
 * Checked in README.md, HACKING.md and docs/*.md:
 * - every backticked span outside fenced code blocks, word by word: a word that starts with one of
 *   the repository's top folders (`server/`, `web/`, `test/`, ...) or names one of its top files
 *   (`package.json`, `README.md`, ...) must exist, file or folder;
 * - every relative Markdown link target ([text](docs/api.md)), resolved from the linking file.
 * A path meant as an example or a pattern (`test/security/NAME.test.ts`, `units/*@.service`) goes
 * in a fenced code block, or carries `*`, `{`, `<` or `...`: those are not checked. Built output
 * (`web/dist`, `dist/`) is named freely: it exists only after a build. A backticked `../` path
 * points outside the repository, which a clone does not have: always reported.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TOP_FOLDERS = ['.ci', 'docs', 'image', 'protocol', 'provisioning', 'server', 'test', 'units', 'web'];
const TOP_FILES = ['README.md', 'HACKING.md', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts', 'eslint.config.js', '.shellcheckrc'];
const BUILT = [/^web\/dist(\/|$)/, /^dist(\/|$)/];
const PATTERN = /[*{<]|\.\.\.|…/;

function docFiles(): string[] {
  const docs = existsSync(join(ROOT, 'docs')) ? readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f)) : [];
  return ['README.md', 'HACKING.md', ...docs.sort()];
}

/** The text outside fenced code blocks, with its line numbers. */
function proseLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) out.push({ line: i + 1, text: line });
  });
  return out;
}

/** A word that names something in the repository, cleaned of trailing punctuation and `:line`. */
export function repoPath(word: string): string | null {
  let w = word.replace(/^["'(]+/, '').replace(/[)"',;.:]+$/, '').replace(/:\d+(-\d+)?$/, '');
  if (w.startsWith('./')) w = w.slice(2);
  if (PATTERN.test(w) || BUILT.some((b) => b.test(w))) return null;
  if (TOP_FILES.includes(w)) return w;
  const top = w.split('/')[0]!;
  return w.includes('/') && TOP_FOLDERS.includes(top) ? w : null;
}

interface Reference {
  file: string;
  line: number;
  path: string;
}

function references(file: string): Reference[] {
  const refs: Reference[] = [];
  for (const { line, text } of proseLines(readFileSync(join(ROOT, file), 'utf8'))) {
    for (const [, span] of text.matchAll(/`([^`]+)`/g)) {
      for (const word of span!.split(/\s+/)) {
        const path = repoPath(word);
        if (path) refs.push({ file, line, path });
        // A clone has nothing beside the repository: such a path is true on one machine only.
        else if (/^["'(]*\.\.\//.test(word)) refs.push({ file, line, path: `(outside the repository) ${word}` });
      }
    }
    // Markdown links, outside backticks: relative targets only.
    for (const [, target] of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      const bare = target!.split('#')[0]!;
      if (bare === '' || /^[a-z]+:/i.test(bare)) continue;
      refs.push({ file, line, path: relative(ROOT, join(ROOT, dirname(file), bare)) });
    }
  }
  return refs;
}

describe('docs name only paths that exist', () => {
  it('finds the docs', () => {
    for (const f of ['README.md', 'HACKING.md', 'docs/architecture.md', 'docs/api.md', 'docs/security.md', 'docs/vm-image.md', 'docs/live-view.md']) {
      expect(existsSync(join(ROOT, f)), f).toBe(true);
    }
  });

  it('reads paths the way the docs write them', () => {
    expect(repoPath('server/presence/hub.ts')).toBe('server/presence/hub.ts');
    expect(repoPath('server/media/,')).toBe('server/media/');
    expect(repoPath('units/ffmpeg@.service:12')).toBe('units/ffmpeg@.service');
    expect(repoPath('test/security/*.test.ts')).toBeNull();
    expect(repoPath('web/dist/index.html')).toBeNull();
    expect(repoPath('/etc/streambox/rooms/ID.env')).toBeNull();
    expect(repoPath('room@ID.target')).toBeNull();
  });

  for (const file of docFiles()) {
    it(`${file}: every backticked path and relative link exists`, () => {
      const missing = references(file)
        .filter((r) => r.path.startsWith('..') || !existsSync(join(ROOT, r.path)))
        .map((r) => `${r.file}:${r.line}: ${r.path}`);
      expect(missing).toEqual([]);
    });
  }
});
