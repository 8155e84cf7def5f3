import type { OpenAPIObject, SchemaObject } from '@nestjs/swagger';
import { ERROR_CATALOGUE } from '../errors/error-catalogue.js';

/**
 * Any JSON value (an agent's `input`), for `@ApiProperty({ ...ANY_JSON })`. A property typed `unknown` is reflected as
 * Object, which the document would declare `type: object`; a `oneOf` makes @nestjs/swagger leave `type` out, so
 * generated clients accept arrays, strings and numbers too.
 */
export const ANY_JSON = {
  oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: {} }, { type: 'string' }, { type: 'number' }, { type: 'boolean' }],
};

/** `{"error":{"code","message","details"?}}`, the one shape of every error (src/infra/errors). */
const ERROR_BODY: SchemaObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true, description: "Machine-readable facts, e.g. a review's actual state on a 409" },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Declares the error body once, as every operation's `default` response and as the body of the error statuses an
 * operation names (`@ApiConflictResponse` carries only a description), so generated clients type errors too.
 */
export function withErrorResponses(document: OpenAPIObject): OpenAPIObject {
  const content = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } };
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY } };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response && Number(status) >= 400 && !('$ref' in response)) response.content ??= content;
      }
      operation.responses.default ??= { description: 'An error (see `error.code`)', content };
    }
  }
  return document;
}
