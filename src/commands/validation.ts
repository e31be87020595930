import { z } from 'zod';
import { ValidationError, type FieldError } from '../domain/errors.js';
import { MAX_INT32 } from '../domain/limits.js';
import { isStorableText } from '../eventStore/storableText.js';

/**
 * Every text field of every command starts here: text PostgreSQL cannot store (NUL, an unpaired
 * surrogate) is VALIDATION_FAILED on its field, before anything is loaded or appended.
 */
const storableString = () => z.string().refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');

/** Input bounds shared by the commands: names of at most 200 characters, cents above 0 within 32 bits. */
export const bounded = {
  name: storableString().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  email: storableString().trim().max(254, 'must be at most 254 characters').pipe(z.email('must be a valid email address')),
  sku: storableString()
    .trim()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain letters, digits, ".", "_" and "-"'),
  id: storableString()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'may contain letters, digits, ".", "_", ":" and "-"'),
  cents: z.number().int().min(1, 'must be greater than 0').max(MAX_INT32, `must be at most ${MAX_INT32}`),
  stock: z.number().int().min(0, 'must not be negative').max(MAX_INT32, `must be at most ${MAX_INT32}`),
  restock: z.number().int().min(1, 'must be greater than 0').max(MAX_INT32, `must be at most ${MAX_INT32}`),
  text: (max: number) => storableString().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`),
};

/** `commandId` and `expectedVersion`, which every command input may carry. */
export const commandEnvelopeSchema = z.object({
  commandId: storableString().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  expectedVersion: z.number().int().min(0, 'must not be negative').optional(),
});

/** zod issues as field errors with paths from the mutation argument (`input.email`). */
export function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: ['input', ...issue.path.map(String)].join('.'), message: issue.message }));
}

/**
 * Validates a command's input: its own fields with `schema`, plus `commandId` and
 * `expectedVersion`; every bad field is reported at once as VALIDATION_FAILED.
 */
export function parseCommandInput<I>(
  schema: z.ZodType<I>,
  rawInput: Record<string, unknown>,
): { input: I; commandId?: string; expectedVersion?: number } {
  const { commandId, expectedVersion, ...fields } = rawInput;
  const envelope = commandEnvelopeSchema.safeParse({ commandId: commandId ?? undefined, expectedVersion: expectedVersion ?? undefined });
  const parsed = schema.safeParse(fields);
  if (envelope.success && parsed.success) return { input: parsed.data, ...envelope.data };
  throw new ValidationError([
    ...(envelope.success ? [] : toFieldErrors(envelope.error)),
    ...(parsed.success ? [] : toFieldErrors(parsed.error)),
  ]);
}
