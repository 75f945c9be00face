import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { CurrentUser } from 'nest-cognito-auth';
import type { Repository } from 'typeorm';
import { badRequest } from '../http-errors.js';
import { User } from '../users/user.entity.js';
import { Note } from './note.entity.js';

/**
 * The signed-in user's notes. Protected by the global guard; `POST` is an unsafe method, so with
 * cookie-borne tokens it needs the `X-CSRF-Token` header matching the `csrf_token` cookie.
 */
@Controller('notes')
export class NotesController {
  constructor(@InjectRepository(Note) private readonly notes: Repository<Note>) {}

  @Get()
  list(@CurrentUser() user: User): Promise<Note[]> {
    return this.notes.find({ where: { ownerId: user.id }, order: { id: 'DESC' }, take: 50 });
  }

  /** `{ "text": "..." }` → 201 with the saved note. */
  @Post()
  @HttpCode(201)
  create(@CurrentUser() user: User, @Body() body: unknown): Promise<Note> {
    const text = (body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '') throw badRequest('text is required');
    if (text.length > Note.MAX_LENGTH) throw badRequest(`text is longer than ${Note.MAX_LENGTH} characters`);
    return this.notes.save(this.notes.create({ text: text.trim(), ownerId: user.id }));
  }
}
