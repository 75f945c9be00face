import { BadRequestException } from '@nestjs/common';

/** 400 in the library's body shape `{ statusCode, error, code, message }`. */
export function badRequest(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'invalid_request', message });
}
