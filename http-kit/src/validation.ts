import type { z } from 'zod';
import { fieldErrors, ProblemError } from './problem.ts';

/** Validates one part of a request; a failure is a 400 listing every bad field. */
export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown, location: '' | 'query' | 'params' = ''): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ProblemError(400, 'the request is not valid', { errors: fieldErrors(result.error, location) });
}

export const parseBody = <S extends z.ZodType>(schema: S, body: unknown) => parseRequestPart(schema, body, '');
export const parseQuery = <S extends z.ZodType>(schema: S, query: unknown) => parseRequestPart(schema, query, 'query');
export const parseParams = <S extends z.ZodType>(schema: S, params: unknown) => parseRequestPart(schema, params, 'params');
