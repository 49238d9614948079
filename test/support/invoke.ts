import { HttpRequest, HttpResponse, InvocationContext, type HttpHandler } from '@azure/functions';

export interface InvokeOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: string;
}

export interface InvokeResult {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
  logs: string[];
}

/** Calls a handler the way the Functions host does, with the real request/context classes. */
export async function invoke(
  handler: HttpHandler,
  options: InvokeOptions = {},
): Promise<InvokeResult> {
  const logs: string[] = [];
  const request = new HttpRequest({
    method: options.method ?? 'GET',
    url: `http://localhost:7071/api/${options.path ?? ''}`,
    headers: options.headers ?? {},
    query: options.query ?? {},
    params: options.params ?? {},
    ...(options.body === undefined ? {} : { body: { string: options.body } }),
  });
  const context = new InvocationContext({
    invocationId: 'test-invocation',
    functionName: 'test',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
  const result = await handler(request, context);
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text, logs };
}
