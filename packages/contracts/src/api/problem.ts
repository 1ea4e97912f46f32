import { z } from 'zod';

/** One offending input field: `pointer` is a JSON Pointer into the request (RFC 6901). */
export const problemFieldSchema = z.object({
  pointer: z.string(),
  detail: z.string(),
});

/** RFC 9457 problem details, as every service and the gateway answer errors. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: z.string(),
  requestId: z.string().optional(),
  errors: z.array(problemFieldSchema).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
export type ProblemField = z.infer<typeof problemFieldSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Turns zod issues into problem fields; `root` prefixes the pointer ("/body", "/query", "/headers"). */
export function problemFieldsFromZod(error: z.ZodError, root = ''): ProblemField[] {
  return error.issues.map((issue) => ({
    pointer: `${root}/${issue.path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`.replace(
      /\/$/,
      '',
    ) || '/',
    detail: issue.message,
  }));
}
