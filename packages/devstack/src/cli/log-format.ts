/** Compact terminal rendering of the services' pino JSON lines (the log files keep the raw JSON). */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS = ['36', '32', '35', '33', '34', '96', '92', '95'];
const LEVEL_COLORS: Record<string, string> = { WARN: '33', ERROR: '31', FATAL: '31', DEBUG: '90', TRACE: '90' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'name', 'service', 'err', 'error', 'req', 'res']);

export function createLogFormatter(names: readonly string[], color: boolean): (name: string, line: string) => string {
  const width = Math.max(...names.map((name) => name.length));
  const paint = (code: string | undefined, text: string): string => (color && code ? `\u001b[${code}m${text}\u001b[0m` : text);
  return (name, line) => {
    const tag = paint(COLORS[Math.max(0, names.indexOf(name)) % COLORS.length], name.padEnd(width));
    let record: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return `${tag} | ${line}`;
      record = parsed as Record<string, unknown>;
    } catch {
      return `${tag} | ${line}`;
    }
    const level = typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : String(record.level ?? 'INFO').toUpperCase();
    const time = typeof record.time === 'number' || typeof record.time === 'string' ? new Date(record.time) : new Date();
    const clock = Number.isNaN(time.getTime()) ? '' : time.toTimeString().slice(0, 8);
    const parts = [String(record.msg ?? '')];
    const req = record.req as { method?: string; url?: string } | undefined;
    if (req?.method) parts.push(`${req.method} ${req.url ?? ''}`);
    const res = record.res as { statusCode?: number } | undefined;
    if (res?.statusCode) parts.push(`→ ${res.statusCode}`);
    for (const [key, value] of Object.entries(record)) {
      if (HIDDEN.has(key) || value === null || typeof value === 'object') continue;
      parts.push(`${key}=${String(value)}`);
    }
    const error = (record.err ?? record.error) as { message?: string; stack?: string } | undefined;
    if (error && typeof error === 'object') parts.push(paint('31', error.stack ?? error.message ?? JSON.stringify(error)));
    return `${paint('90', clock)} ${tag} ${paint(LEVEL_COLORS[level], level.padEnd(5))} ${parts.filter(Boolean).join(' ')}`;
  };
}
