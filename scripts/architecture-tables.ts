import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allEvents, type StreamDefinition, streams } from '@platform/contracts';
import { consumerService, durableConsumers, narrowestFilter } from '@platform/contracts/consumers';
import { timers } from '@platform/contracts/timers';

/**
 * Renders ARCHITECTURE.md's consumer, subject and timer tables from the contracts (events,
 * durable consumers, timer kinds), between `<!-- generated:<name> -->` and `<!-- /generated:<name> -->`.
 * `test/architecture/tables.test.ts` fails while the file differs; run this to rewrite it:
 * `pnpm architecture:tables`.
 */
export const TABLES_COMMAND = 'pnpm architecture:tables';
export const architecturePath = join(import.meta.dirname, '../ARCHITECTURE.md');

/** A Markdown table with its columns padded, as the hand-written tables of the page are. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = header.map((_, column) => Math.max(3, ...cells.map((row) => row[column]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/** Every event type with its versions, publisher (the service owning its stream), durable consumers and meaning. */
export function subjectTable(): string {
  const types = [...new Set(allEvents.map((event) => event.type))];
  const rows = types.map((type) => {
    const versions = allEvents.filter((event) => event.type === type);
    const latest = versions.at(-1)!;
    const consumers = durableConsumers
      .filter((consumer) => consumer.events.some((event) => event.type === type))
      .map((consumer) => `\`${consumer.name}\``);
    return [
      `\`${type}\``,
      versions.map((event) => event.version).join(', '),
      (streams[latest.stream] as StreamDefinition).publisher ?? latest.stream.toLowerCase(),
      consumers.join(', ') || '—',
      latest.description,
    ];
  });
  return table(['subject (= event type)', 'versions', 'publisher', 'consumers (durable)', 'meaning'], rows);
}

/** Every durable consumer, with its service, the stream it reads, the subjects the server delivers it and the events it handles there. */
export function consumerTable(): string {
  const rows = durableConsumers.map((consumer) => [
    `\`${consumer.name}\``,
    consumerService(consumer.name),
    consumer.stream,
    `\`${narrowestFilter(consumer.events.map((event) => event.type))}\``,
    consumer.events.map((event) => `${event.type.slice(event.type.indexOf('.') + 1)} v${event.version}`).join(', '),
  ]);
  return table(['durable consumer', 'service', 'reads (stream)', 'filter', 'handles'], rows);
}

/** Every durable timer kind, with its service and when it fires. */
export function timerTable(): string {
  const rows = Object.entries(timers).flatMap(([service, kinds]) =>
    Object.values(kinds).map((timer) => [`\`${timer.kind}\``, service, timer.fires]),
  );
  return table(['kind', 'service', 'fires'], rows);
}

const generated: Record<string, () => string> = { consumers: consumerTable, subjects: subjectTable, timers: timerTable };

/** `markdown` with every generated block rendered afresh; throws when a block's markers are missing. */
export function renderArchitecture(markdown: string): string {
  let out = markdown;
  for (const [name, render] of Object.entries(generated)) {
    const open = `<!-- generated:${name} -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`ARCHITECTURE.md lacks the markers ${open} … ${close}`);
    out = `${out.slice(0, start + open.length)}\n${render()}\n${out.slice(end)}`;
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const before = readFileSync(architecturePath, 'utf8');
  const after = renderArchitecture(before);
  if (after === before) console.log('ARCHITECTURE.md: tables up to date');
  else {
    writeFileSync(architecturePath, after);
    console.log('ARCHITECTURE.md: tables rewritten from the contracts');
  }
}
