import type { IncomingMessage, ServerResponse } from 'node:http'

/** One request to the document API, its path parameters parsed. */
export interface Call {
  readonly request: IncomingMessage
  readonly response: ServerResponse
  /** The document id from the path, when the route has one. */
  readonly id: string
  /** The version id from the path, when the route has one. */
  readonly vid: string
  /** Set when the path named a view link (~view/<id>): `id` is then its document, which must not be told. */
  readonly viewOf: string | null
  readonly query: URLSearchParams
}

export type Handler = (call: Call) => Promise<void>

/** Every route, as OpenAPI spells it: the OpenAPI description is checked against this list by a test. */
export interface Route {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  readonly path: string
}
