/** Something Fastify-like to `inject` into (no socket). */
export interface Injectable {
  inject(options: {
    method: 'GET' | 'POST'
    url: string
    headers: Record<string, string>
    payload?: string
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>
}

/**
 * A `fetch` that serves each request with `app.inject` instead of a socket, for the generated client
 * (`createPropertyCasesClient({ baseUrl, fetch: injectFetch(app) })`): the whole server path — hooks, validation,
 * serialization — without a port.
 */
export function injectFetch(app: Injectable): (input: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url)
    const payload = request.body === null ? undefined : await request.text()
    const res = await app.inject({
      method: request.method as 'GET' | 'POST',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(request.headers),
      ...(payload !== undefined && { payload }),
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : String(value))
    }
    const empty = res.statusCode === 204 || res.statusCode === 304 || res.body === ''
    return new Response(empty ? null : res.body, { status: res.statusCode, headers })
  }
}
