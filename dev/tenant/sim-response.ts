/** What every surface of the simulated tenant answers with, before it is written to the socket. */
export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  /** A JSON value, or a string sent as is (text/plain). */
  body?: unknown;
}
