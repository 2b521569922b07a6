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
        required: ['id', 'length', 'bytes', 'createdAt', 'updatedAt', 'sessions'],
        properties: {
          id: { type: 'string' },
          length: { type: 'integer', description: 'Characters of text' },
          bytes: { type: 'integer', description: 'Bytes stored' },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time', description: 'Kept to the second' },
          sessions: { type: 'integer', description: 'Connections open to it on this server' },
          url: { type: 'string', description: 'Editor link (create and list only)' },
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
  },
} as const
