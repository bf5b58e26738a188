// One error type for everything custos refuses on purpose. The code is stable (clients switch on
// it); the message is for people and never carries secrets, content or SQL.

/** Every error code custos returns, with the HTTP status it maps to. The only such table. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  /** Text a column or a sealed value could not hold as sent: a lone surrogate, or NUL where stored in clear. */
  invalid_text: 400,
  https_required: 400,
  invalid_token: 400,
  operation_not_allowed: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  origin_mismatch: 403,
  session_required: 403,
  api_key_required: 403,
  email_not_verified: 403,
  terms_not_accepted: 403,
  recent_sign_in_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  sole_owner: 409,
  action_not_pending: 409,
  action_expired: 409,
  operation_hash_mismatch: 409,
  credential_missing: 409,
  payload_too_large: 413,
  idempotency_key_reused: 422,
  unsupported_media_type: 415,
  key_shredded: 410,
  rate_limited: 429,
  internal: 500,
  sealed_data_invalid: 500,
  not_ready: 503,
  database_busy: 503,
  shutting_down: 503,
  key_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The wire shape of every error body. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(err: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}
