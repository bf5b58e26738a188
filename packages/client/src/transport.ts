// What an area of the SDK needs of the client: sending a request. The areas depend on this
// interface, not on CustosClient, so that the client's modules import in one direction only
// (client.ts builds the areas; no area imports client.ts back).

export interface Transport {
  /** Sends the request and reads the JSON answer (undefined for a 204); an error status throws. */
  request<T>(method: string, path: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<T>;
  /** The response itself, its body unread (a download to stream); an error status still throws. */
  send(method: string, path: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<Response>;
}
