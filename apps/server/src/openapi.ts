/**
 * The document API described for tools (OpenAPI 3.1), served at /api/openapi.json. A test
 * checks that it lists exactly the routes the server answers.
 */

const error = { $ref: '#/components/responses/Error' }
const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: "The document id, as in the editor's URL /d/<id> (percent-encode '/').",
  schema: { type: 'string' },
}
const textBody = (description: string, required: boolean) => ({
  required,
  description,
  content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } },
})
const vidParameter = { name: 'vid', in: 'path', required: true, description: 'A version id from GET /api/docs/{id}/versions', schema: { type: 'string' } }
const json = (schema: object) => ({ 'application/json': { schema } })
const versionBody = {
  required: false,
  description: 'In open mode `author` names who did it (self-declared); in token mode the token’s name is used',
  content: json({ type: 'object', properties: { author: { type: 'string' } } }),
}
const version = { description: 'The version', content: json({ $ref: '#/components/schemas/Version' }) }
const info = { description: 'The document after the change', content: { 'application/json': { schema: { $ref: '#/components/schemas/Document' } } } }

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Coedit document API',
    version: '1',
    description:
      'Read and write documents on a Coedit server. Open mode: anyone with a document id may use its routes (listing is refused). ' +
      'Token mode: send `Authorization: Bearer <token>`; view tokens read, edit tokens also write and delete. Errors are JSON `{ error }`.',
  },
  components: {
    securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'A Coedit access token (`coedit token`, or the #token= part of a link)' } },
    schemas: {
      Document: {
        type: 'object',
        required: ['id', 'length', 'bytes', 'createdAt', 'updatedAt', 'sessions', 'title'],
        properties: {
          id: { type: 'string' },
          length: { type: 'integer', description: 'Characters of text' },
          bytes: { type: 'integer', description: 'Bytes stored' },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time', description: 'Kept to the second' },
          sessions: { type: 'integer', description: 'Connections open to it on this server' },
          title: { type: ['string', 'null'], description: 'The title given in the editor; null when none (the first line stands in)' },
          url: { type: 'string', description: 'Editor link (create and list only)' },
        },
      },
      Version: {
        type: 'object',
        required: ['id', 'at', 'name', 'authors', 'length'],
        properties: {
          id: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          name: { type: ['string', 'null'], description: 'Given by a person or a restore; null when cut by a pause in editing' },
          authors: { type: 'array', items: { type: 'string' }, description: 'Who edited since the previous version' },
          length: { type: 'integer', description: 'Characters of text' },
        },
      },
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
    },
    responses: {
      Error: { description: 'What went wrong, in a sentence', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  },
  security: [{}, { token: [] }],
  paths: {
    '/api/openapi.json': {
      get: { operationId: 'describeApi', summary: 'This description', responses: { '200': { description: 'OpenAPI 3.1 document' } } },
    },
    '/api/docs': {
      get: {
        operationId: 'listDocuments',
        summary: 'Documents the token may see (token mode only; 403 in open mode)',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          { name: 'after', in: 'query', description: 'The `next` of the previous page', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'One page, sorted by id',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { documents: { type: 'array', items: { $ref: '#/components/schemas/Document' } }, next: { type: ['string', 'null'] } },
                },
              },
            },
          },
          '401': error,
          '403': error,
        },
      },
      post: {
        operationId: 'createDocument',
        summary: 'Creates a document with a fresh 128-bit id (under the token prefix in token mode)',
        requestBody: textBody('The first text (optional)', false),
        responses: { '201': { ...info, description: 'Created; `url` is its editor link' }, '401': error, '403': error, '413': error, '400': error },
      },
    },
    '/api/docs/{id}': {
      parameters: [idParameter],
      get: {
        operationId: 'describeDocument',
        summary: 'Length, size, dates and open sessions',
        responses: { '200': info, '404': error, '410': error, '401': error, '403': error },
      },
      delete: {
        operationId: 'deleteDocument',
        summary: 'Deletes it for good: its sessions close with 4410, later requests and upgrades get 410',
        responses: { '204': { description: 'Deleted' }, '404': error, '410': error, '401': error, '403': error },
      },
    },
    '/api/docs/{id}/text': {
      parameters: [idParameter],
      get: {
        operationId: 'readText',
        summary: 'The current text',
        responses: { '200': { description: 'The text', content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } } }, '404': error, '410': error },
      },
      put: {
        operationId: 'replaceText',
        summary: 'Replaces the text with a minimal edit (people editing keep their carets); creates the document if needed',
        requestBody: textBody('The new text, UTF-8', true),
        responses: { '200': info, '400': error, '401': error, '403': error, '410': error, '413': error },
      },
    },
    '/api/docs/{id}/append': {
      parameters: [idParameter],
      post: {
        operationId: 'appendText',
        summary: 'Adds the body at the end (creates the document if needed)',
        requestBody: textBody('The text to add, UTF-8', true),
        responses: { '200': info, '400': error, '401': error, '403': error, '410': error, '413': error },
      },
    },
    '/api/docs/{id}/view-link': {
      parameters: [idParameter],
      post: {
        operationId: 'viewLink',
        summary:
          'The view link of the document (made on first ask; edit rights): /v/<viewId> opens it read-only without revealing its id. `~view/<viewId>` (percent-encoded) works as an id for the GET routes',
        responses: {
          '200': { description: 'The link', content: json({ type: 'object', properties: { viewId: { type: 'string' }, url: { type: 'string' } } }) },
          '401': error,
          '403': error,
          '404': error,
          '410': error,
        },
      },
    },
    '/api/docs/{id}/versions': {
      parameters: [idParameter],
      get: {
        operationId: 'listVersions',
        summary: 'Versions, newest first: cut when editing pauses (--version-idle-ms), during long editing (--version-max-ms), when named or restored',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          { name: 'before', in: 'query', description: 'The `next` of the previous page', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'One page',
            content: json({
              type: 'object',
              properties: { versions: { type: 'array', items: { $ref: '#/components/schemas/Version' } }, next: { type: ['string', 'null'] } },
            }),
          },
          '401': error,
          '403': error,
          '404': error,
          '410': error,
        },
      },
      post: {
        operationId: 'nameVersion',
        summary: 'Names the current state: cuts a version now (edit rights)',
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 200 }, author: { type: 'string' } } }),
        },
        responses: { '201': version, '400': error, '401': error, '403': error, '404': error, '410': error },
      },
    },
    '/api/docs/{id}/versions/{vid}/text': {
      parameters: [idParameter, vidParameter],
      get: {
        operationId: 'readVersionText',
        summary: 'The text as it was in that version',
        responses: { '200': { description: 'The text', content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } } }, '404': error, '410': error },
      },
    },
    '/api/docs/{id}/versions/{vid}/diff': {
      parameters: [idParameter, vidParameter],
      get: {
        operationId: 'diffVersion',
        summary: 'What changed from that version to another one, or to the current text',
        parameters: [{ name: 'against', in: 'query', description: 'A version id, or `current` (the default)', schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'Operations that turn the version’s text into the other: `equal` and `delete` spell the old text, `equal` and `insert` the new',
            content: json({
              type: 'object',
              properties: {
                from: { type: 'string' },
                to: { type: 'string' },
                ops: {
                  type: 'array',
                  items: { type: 'object', properties: { op: { enum: ['equal', 'insert', 'delete'] }, text: { type: 'string' } } },
                },
              },
            }),
          },
          '404': error,
          '410': error,
        },
      },
    },
    '/api/docs/{id}/versions/{vid}/restore': {
      parameters: [idParameter, vidParameter],
      post: {
        operationId: 'restoreVersion',
        summary: 'Makes the live text that version’s (one minimal edit everyone sees), recorded as a version “Restored from …” (edit rights)',
        requestBody: versionBody,
        responses: { '200': version, '401': error, '403': error, '404': error, '410': error },
      },
    },
    '/api/docs/{id}/authorship': {
      parameters: [idParameter],
      get: {
        operationId: 'authorship',
        summary: 'Who wrote each stretch of the current text, and when',
        responses: {
          '200': {
            description:
              'Spans covering the text in order; offsets count UTF-16 code units (JavaScript string indices). `author` is the token’s name in token mode, the name shown in the editor in open mode (self-declared), null when unknown',
            content: json({
              type: 'object',
              properties: {
                spans: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      start: { type: 'integer' },
                      end: { type: 'integer' },
                      author: { type: ['string', 'null'] },
                      at: { type: ['string', 'null'], format: 'date-time' },
                    },
                  },
                },
              },
            }),
          },
          '404': error,
          '410': error,
        },
      },
    },
  },
} as const
