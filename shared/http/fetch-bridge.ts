import type { HttpApp, HttpRequest, HttpResponse } from './types';

/** Reads a fetch `Request` into an `HttpRequest` (decoded path, lower-case headers, body bytes). */
export async function fromFetchRequest(request: Request, requestId?: string): Promise<HttpRequest> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body =
    request.method === 'GET' || request.method === 'HEAD'
      ? new Uint8Array()
      : new Uint8Array(await request.arrayBuffer());
  return {
    method: request.method.toUpperCase(),
    path: safeDecodePath(url.pathname),
    query: url.searchParams,
    headers,
    body,
    ...(requestId !== undefined && { requestId }),
  };
}

/** Turns an `HttpResponse` into a fetch `Response`. */
export function toFetchResponse(response: HttpResponse): Response {
  const noBody = response.status === 204 || response.status === 304 || response.body === undefined;
  return new Response(noBody ? null : (response.body as BodyInit), {
    status: response.status,
    headers: response.headers,
  });
}

/** Serves an `HttpApp` to fetch-style callers (tests, fetch runtimes). */
export function fetchHandler(app: HttpApp): (request: Request) => Promise<Response> {
  return async (request) => toFetchResponse(await app.handle(await fromFetchRequest(request)));
}

/** Decodes a URL path; a malformed escape is kept as written rather than failing the request. */
export function safeDecodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
