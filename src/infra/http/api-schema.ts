/**
 * Any JSON value (an agent's `input`), for `@ApiProperty({ ...ANY_JSON })`. A property typed `unknown` is reflected as
 * Object, which the document would declare `type: object`; a `oneOf` makes @nestjs/swagger leave `type` out, so
 * generated clients accept arrays, strings and numbers too.
 */
export const ANY_JSON = {
  oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: {} }, { type: 'string' }, { type: 'number' }, { type: 'boolean' }],
};
