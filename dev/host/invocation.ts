/** Runs a function the way the Functions host does: its own context, its response written out. */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { stringifySetCookie } from 'cookie';
import azureFunctions, {
  type HttpResponse as FunctionResponse,
  type HttpResponseInit,
  type InvocationContext as FunctionContext,
} from '@azure/functions';

// @azure/functions is CommonJS: Node's ESM loader sees `app` but not its classes by name.
const { HttpResponse, InvocationContext } = azureFunctions;

export type HostLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export function invocationContext(
  name: string,
  log: HostLog,
  triggerMetadata?: Record<string, unknown>,
): FunctionContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: name,
    ...(triggerMetadata === undefined ? {} : { triggerMetadata }),
    logHandler: (level, ...args) => {
      const message = args
        .map((arg) => (arg instanceof Error ? arg.message : String(arg)))
        .join(' ');
      const mapped =
        level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      log(mapped, `[${name}] ${message}`);
    },
  });
}

export function writeJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
  });
  response.end(JSON.stringify(body));
}

export async function writeFunctionResponse(
  result: HttpResponseInit | FunctionResponse,
  response: ServerResponse,
): Promise<void> {
  const httpResponse = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string | string[]> = {};
  httpResponse.headers.forEach((value, name) => {
    if (name.toLowerCase() !== 'set-cookie') headers[name] = value;
  });
  const cookies = httpResponse.cookies.map((cookie) =>
    stringifySetCookie({
      name: cookie.name,
      value: cookie.value,
      ...(cookie.path === undefined ? {} : { path: cookie.path }),
      ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
      ...(cookie.maxAge === undefined ? {} : { maxAge: cookie.maxAge }),
      ...(cookie.expires === undefined ? {} : { expires: new Date(cookie.expires) }),
      ...(cookie.secure === undefined ? {} : { secure: cookie.secure }),
      ...(cookie.httpOnly === undefined ? {} : { httpOnly: cookie.httpOnly }),
      ...(cookie.sameSite === undefined
        ? {}
        : { sameSite: cookie.sameSite.toLowerCase() as 'lax' | 'strict' | 'none' }),
    }),
  );
  const existing = httpResponse.headers.get('set-cookie');
  if (existing !== null) cookies.unshift(existing);
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = Buffer.from(await httpResponse.arrayBuffer());
  response.writeHead(httpResponse.status, headers);
  response.end(body);
}
