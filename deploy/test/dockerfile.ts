/**
 * A small Dockerfile reader for the tests (no Docker engine here): stages, instructions with
 * their continuation lines joined and heredoc bodies, and ARG defaults per stage.
 */
import { readRepoFile } from './platform';

export interface Instruction {
  keyword: string;
  args: string;
  heredocs: { name: string; body: string }[];
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
  /** ARG defaults visible in the stage (global ones only where re-declared, as Docker does). */
  args: Record<string, string>;
}

function parseInstructions(text: string): Instruction[] {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    let line = lines[i++]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i < lines.length) {
      const next = lines[i++]!;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next;
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const heredocs: Instruction['heredocs'] = [];
    for (const h of line.matchAll(/<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) {
      const body: string[] = [];
      while (i < lines.length && lines[i] !== h[2]) body.push(lines[i++]!);
      i++;
      heredocs.push({ name: h[2]!, body: `${body.join('\n')}\n` });
    }
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), heredocs });
  }
  return out;
}

function parseArg(args: string): [string, string | undefined] {
  const [name, ...value] = args.split('=');
  return [name!.trim(), value.length ? value.join('=').trim() : undefined];
}

export const substitute = (text: string, args: Record<string, string>) =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a?: string, b?: string) => args[(a ?? b)!] ?? all);

export function parseDockerfile(text: string): { globalArgs: Record<string, string>; stages: Stage[] } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    const stage = stages.at(-1);
    if (ins.keyword === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      stages.push({ from: substitute(image, globalArgs), name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [], args: {} });
    } else if (ins.keyword === 'ARG' && !stage) {
      const [name, value] = parseArg(ins.args);
      if (value !== undefined) globalArgs[name] = value;
    } else if (stage) {
      if (ins.keyword === 'ARG') {
        const [name, value] = parseArg(ins.args);
        const inherited = value ?? globalArgs[name];
        if (inherited !== undefined) stage.args[name] = inherited;
      }
      stage.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

export const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));

export const stageNamed = (name: string): Stage => {
  const s = dockerfile.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};

/** The RUN commands of a stage, with the stage's ARG defaults substituted. */
export const runs = (stage: Stage): string[] =>
  stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => substitute(i.args, stage.args));

/** The stages `name` is built from, first the one on an image, last `name` itself (FROM <stage> links). */
export const chain = (name: string): Stage[] => {
  const stage = stageNamed(name);
  const parent = dockerfile.stages.find((s) => s.name === stage.from);
  return parent ? [...chain(parent.name!), stage] : [stage];
};
