import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError } from './error-catalogue.js';

function describe(errors: ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) {
      const constraints = Object.entries(error.constraints);
      const unknown = constraints.find(([name]) => name === 'whitelistValidation');
      out.push(unknown ? `${field}: unknown field` : `${field}: ${constraints.map(([, text]) => text.replace(`${error.property} `, '')).join(', ')}`);
    }
    if (error.children?.length) out.push(...describe(error.children, field));
  }
  return out;
}

/** Strict input validation at the edge: unknown fields are refused, and the message names each bad field. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new AppError('validation_failed', describe(errors).join('; ') || 'invalid input'),
  });
}
