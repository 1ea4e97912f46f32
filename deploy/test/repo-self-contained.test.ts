/**
 * The repository explains itself: no file cites a document that lives outside it (the notes
 * the platform was first specified from), and every `docs/…md` page and `#section` a file
 * names, and every relative link in a Markdown page, leads somewhere that exists.
 * Scans what git tracks plus new files not ignored, so a citation fails before it is committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SELF = relative(root, fileURLToPath(import.meta.url));

/** Citations of documents that are not in the repository. */
const OUTSIDE: ReadonlyArray<{ what: string; pattern: RegExp }> = [
  { what: 'a numbered specification seed', pattern: /\bseeds?\s?0\d\d\b/i },
  { what: 'the seeds folder', pattern: /\bseeds\//i },
  { what: 'a notes file kept outside the repository', pattern: /\b(?:PROVIDERS|CATALOGUE|LIFECYCLE|TOOLCHAIN|STYLE)\.md\b/ },
  { what: 'the shared folder next to the repository', pattern: /(?:\.\.\/|\/work\/)shared\b/ },
  { what: 'an unnamed seed rule', pattern: /\bseed(?:'s| rules?| tables?| defaults?)\b|\(seed: \d/i },
];

/** `docs/<path>.md` with an optional `#anchor`, not part of a longer path. */
const DOCS_REFERENCE = /(?<![\w./-])(docs\/[\w./-]+?\.md)(?:#([\w-]+))?/g;
/** A Markdown link's target: `[text](target)`. */
const MARKDOWN_LINK = /\]\(([^)\s]+)\)/g;

function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  return [...new Set(listed.split('\0'))].filter((path) => path !== '' && existsSync(join(root, path)) && statSync(join(root, path)).isFile());
}

const texts = new Map<string, string | null>();
/** The file's text, or null for a binary file. */
function textOf(path: string): string | null {
  if (!texts.has(path)) {
    const content = readFileSync(join(root, path), 'utf8');
    texts.set(path, content.includes('\0') ? null : content);
  }
  return texts.get(path)!;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: its headings (outside code fences), repeats suffixed `-1`, `-2`, … as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = headingAnchor(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Why `target#anchor` (a repository path) is a broken reference, or null when it leads somewhere. */
function brokenTarget(target: string, anchor: string | undefined): string | null {
  if (!existsSync(join(root, target))) return `${target} does not exist`;
  if (anchor === undefined || !target.endsWith('.md')) return null;
  const text = textOf(target);
  return text !== null && anchorsOf(text).has(anchor) ? null : `${target} has no section #${anchor}`;
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

describe('the repository is self-contained', () => {
  const files = repositoryFiles();

  it('finds the files to check', () => {
    expect(files).toContain('docs/requirements.md');
    expect(files).toContain(SELF);
  });

  it('cites no document kept outside the repository', () => {
    const citations: string[] = [];
    for (const file of files) {
      const text = file === SELF ? null : textOf(file);
      if (text === null) continue;
      text.split('\n').forEach((line, index) => {
        for (const { what, pattern } of OUTSIDE) {
          if (pattern.test(line)) citations.push(`${file}:${index + 1}: ${what}: ${line.trim()}`);
        }
      });
    }
    expect(citations, 'cite docs/ instead (docs/README.md lists what is there)').toEqual([]);
  });

  it('names only docs/ pages and sections that exist', () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = textOf(file);
      if (text === null) continue;
      for (const match of text.matchAll(DOCS_REFERENCE)) {
        const why = brokenTarget(match[1]!, match[2]);
        if (why) broken.push(`${file}:${lineOf(text, match.index)}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('links Markdown pages only to files and sections that exist', () => {
    const broken: string[] = [];
    for (const file of files.filter((path) => path.endsWith('.md'))) {
      const text = textOf(file);
      if (text === null) continue;
      for (const match of text.matchAll(MARKDOWN_LINK)) {
        const link = match[1]!;
        if (/^[a-z][a-z+.-]*:/i.test(link)) continue; // https:, mailto:
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? file : normalize(join(dirname(file), path));
        const why = target.startsWith('..') ? `${link} leaves the repository` : brokenTarget(target, anchor);
        if (why) broken.push(`${file}:${lineOf(text, match.index)}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    expect(headingAnchor('FUL-05 Cancelling at the supplier')).toBe('ful-05-cancelling-at-the-supplier');
    expect(headingAnchor('NTF-02 Channels, preferences and quiet hours')).toBe('ntf-02-channels-preferences-and-quiet-hours');
    expect(headingAnchor('`docs/` and [links](x.md)')).toBe('docs-and-links');
    expect([...anchorsOf('# A\n```\n# B\n```\n## A\n')]).toEqual(['a', 'a-1']);
  });
});
