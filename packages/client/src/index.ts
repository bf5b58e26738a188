export { CustosClient, type ClientOptions, type Health, type Readiness } from './client.ts';
export { CustosApiError, type ApiErrorBody } from './errors.ts';
