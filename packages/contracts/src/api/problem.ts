import { z } from 'zod';

/**
 * One offending input field. `pointer` is a JSON Pointer (RFC 6901) into the request body
 * (`/items/0/quantity`); fields outside the body are prefixed `/params`, `/query` or `/headers`.
 */
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
