/**
 * Terminal rendering of the services' pino JSON lines for command one (the log files keep the
 * raw JSON). Quiet by default: warnings and errors, one line per gateway request, and the
 * few messages that are news (a server listening, a price book seeded). The routine traffic
 * behind a request (each service's own request line, every event handled, every timer fired)
 * and the ids on each line are shown only with `verbose` (`npm start -- --verbose`).
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS = ['36', '32', '35', '33', '34', '96', '92', '95'];
const LEVEL_COLORS: Record<string, string> = { WARN: '33', ERROR: '31', FATAL: '31', DEBUG: '90', TRACE: '90' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'name', 'service', 'err', 'error', 'req', 'res']);
/** Fields that tie a line to its flow; in the log files, and on the console with `verbose`. */
const FLOW_IDS = new Set(['reqId', 'correlationId', 'traceId', 'spanId', 'eventId', 'causationId']);
/** Informational messages written for every operation: the log file has them. */
const ROUTINE = new Set(['event handled', 'timer fired', 'consumer lease taken: this replica handles the consumer']);
const INFO = 30;

export interface LogFormatOptions {
  color: boolean;
  /** Every line with every field, as the log file has it but condensed. */
  verbose?: boolean;
  /** The service whose request lines are the console's access log (the others' are behind it). */
  edge?: string;
}

/** Returns the console form of a line, or `undefined` when the console leaves it to the log file. */
export function createLogFormatter(names: readonly string[], options: LogFormatOptions): (name: string, line: string) => string | undefined {
  const { color, verbose = false, edge = 'gateway' } = options;
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
    const levelNumber = typeof record.level === 'number' ? record.level : INFO;
    if (!verbose && levelNumber <= INFO) {
      const routineRequest = record.msg === 'request' && name !== edge;
      if (routineRequest || ROUTINE.has(String(record.msg)) || levelNumber < INFO) return undefined;
    }
    const level = typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : String(record.level ?? 'INFO').toUpperCase();
    const time = typeof record.time === 'number' || typeof record.time === 'string' ? new Date(record.time) : new Date();
    const clock = Number.isNaN(time.getTime()) ? '' : time.toTimeString().slice(0, 8);
    const parts = [String(record.msg ?? '')];
    const req = record.req as { method?: string; url?: string } | undefined;
    if (req?.method) parts.push(`${req.method} ${req.url ?? ''}`);
    const res = record.res as { statusCode?: number } | undefined;
    if (res?.statusCode) parts.push(`→ ${res.statusCode}`);
    if (!verbose && record.msg === 'request') {
      // The access line: `GET /v1/orders/… → 200 12 ms`.
      parts.splice(0, parts.length, `${String(record.method ?? '')} ${String(record.url ?? '')} → ${String(record.status ?? '')}`, `${String(record.ms ?? '')} ms`);
    } else {
      for (const [key, value] of Object.entries(record)) {
        if (HIDDEN.has(key) || value === null || typeof value === 'object') continue;
        if (!verbose && FLOW_IDS.has(key)) continue;
        parts.push(`${key}=${String(value)}`);
      }
    }
    const error = (record.err ?? record.error) as { message?: string; stack?: string } | undefined;
    if (error && typeof error === 'object') parts.push(paint('31', error.stack ?? error.message ?? JSON.stringify(error)));
    return `${paint('90', clock)} ${tag} ${paint(LEVEL_COLORS[level], level.padEnd(5))} ${parts.filter(Boolean).join(' ')}`;
  };
}
