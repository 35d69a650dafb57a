/** A tiny JSON client over real HTTP (fetch), returning status, headers and parsed body. */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export function client(base: string) {
  return {
    get: <T = any>(path: string, o?: Parameters<typeof request>[3]) => request<T>(base, 'GET', path, o),
    post: <T = any>(path: string, o?: Parameters<typeof request>[3]) => request<T>(base, 'POST', path, o),
    put: <T = any>(path: string, o?: Parameters<typeof request>[3]) => request<T>(base, 'PUT', path, o),
    patch: <T = any>(path: string, o?: Parameters<typeof request>[3]) => request<T>(base, 'PATCH', path, o),
    delete: <T = any>(path: string, o?: Parameters<typeof request>[3]) => request<T>(base, 'DELETE', path, o),
  };
}
