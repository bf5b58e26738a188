// Every error the custos API returns has a stable code; callers switch on it.
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class CustosApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | null;

  constructor(status: number, body: ApiErrorBody['error'], requestId: string | null) {
    super(body.message);
    this.name = 'CustosApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details;
    this.requestId = requestId;
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

export async function errorFrom(response: Response): Promise<CustosApiError> {
  const requestId = response.headers.get('request-id');
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) return new CustosApiError(response.status, body.error, requestId);
  return new CustosApiError(response.status, { code: 'unexpected_response', message: `HTTP ${response.status}` }, requestId);
}
