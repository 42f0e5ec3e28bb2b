// The project's errors: each type declares a code, once, with how it is classed and whether its
// message is meant for whoever runs the program. Two questions are answered here and nowhere
// else: is a failure worth retrying (classifyError), and what does a program print when it dies
// of one (describeFailure).
//
// Transient: the same request may succeed later without anyone changing anything (a timeout, a
// dropped connection, throttling, a server error, a conflict with a concurrent writer).
// Terminal: the request was understood and refused (invalid, forbidden, not found, refused by
// admission); repeating it changes nothing until someone changes the input or the cluster.
//
// This module imports nothing, so that every layer (the pure model included) may declare its
// errors with it.

export type ErrorClass = 'transient' | 'terminal';

/** What a code declares about every error that carries it. */
export interface ErrorCode {
  /** RATINGS_ and capitals, e.g. RATINGS_CONFIG_INVALID. */
  readonly code: string;
  /** The class of its errors, unless an error says otherwise (CodedErrorOptions.errorClass). */
  readonly errorClass: ErrorClass;
  /** Its message says what to fix: printed alone, without a stack that would bury it. */
  readonly userFacing: boolean;
}

export interface CodedErrorOptions extends ErrorOptions {
  /** This error's own class, when it depends on the instance (an answer's status, its parts). */
  errorClass?: ErrorClass;
}

const registry = new Map<string, ErrorCode>();

/** An error with a declared code; its `name` is its class's name. */
export abstract class CodedError extends Error {
  readonly code: string;
  readonly errorClass: ErrorClass;

  protected constructor(declared: ErrorCode, message: string, options?: CodedErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = declared.code;
    this.errorClass = options?.errorClass ?? declared.errorClass;
  }
}

/**
 * Declares a code and returns the base class of its errors:
 *
 *     export class CatalogError extends codedError('RATINGS_CATALOG_INVALID', {
 *       errorClass: 'terminal',
 *       userFacing: true,
 *     }) {}
 *
 * A code is declared once: a second declaration throws, so that a code names one type.
 */
export function codedError(code: string, declaration: { errorClass: ErrorClass; userFacing?: boolean }) {
  if (!/^RATINGS_[A-Z0-9_]+$/.test(code))
    throw new Error(`error code "${code}" must be RATINGS_ and capitals`);
  if (registry.has(code)) throw new Error(`error code ${code} is declared twice`);
  const declared: ErrorCode = Object.freeze({
    code,
    errorClass: declaration.errorClass,
    userFacing: declaration.userFacing ?? false,
  });
  registry.set(code, declared);
  return class extends CodedError {
    static readonly declared = declared;
    constructor(message: string, options?: CodedErrorOptions) {
      super(declared, message, options);
    }
  };
}

/** What was declared for `code`, when something declared it. */
export const errorCode = (code: string): ErrorCode | undefined => registry.get(code);

/** HTTP statuses that a later identical request can get past. */
export function classOfStatus(status: number): ErrorClass {
  return status === 408 || status === 409 || status === 429 || status >= 500 ? 'transient' : 'terminal';
}

/** The class of a failure made of several: transient when retrying can get any part of it past. */
export function combinedClass(classes: Iterable<ErrorClass>): ErrorClass {
  for (const errorClass of classes) if (errorClass === 'transient') return 'transient';
  return 'terminal';
}

/** Socket-level failures: the request may not have reached the server, or its answer was lost. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Transient or terminal, for the retry policy: a coded error by its class, a socket failure
 * transient. Anything else (a bug, an unexpected exception) counts as terminal: retrying it in a
 * loop would hide it.
 */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof CodedError) return err.errorClass;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return 'transient';
  if (err instanceof Error && /socket hang up/i.test(err.message)) return 'transient';
  return 'terminal';
}

export const isTransient = (err: unknown): boolean => classifyError(err) === 'transient';

/** Whether the code of `err` declares its message to be the whole story for a user. */
export function isUserFacing(err: unknown): boolean {
  return err instanceof CodedError && errorCode(err.code)?.userFacing === true;
}

/** What a program prints for the error it dies of: a user-facing message alone, else the stack. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return isUserFacing(err) ? err.message : (err.stack ?? err.message);
}
