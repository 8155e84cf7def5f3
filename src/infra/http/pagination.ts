import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AppError } from '../errors/error-catalogue.js';

/** `?cursor=&limit=` for every list; the answer is `{"items":[…],"next_cursor":"…"|null}`. */
export class PageQuery {
  @ApiPropertyOptional({ description: 'next_cursor from the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A position in a list ordered by (time, id) descending. Opaque to clients. */
export interface Position {
  at: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

/** What a cursor's id must look like for a table keyed by uuid; pass it to `decodeCursor`. */
export const UUID_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `idPattern`: the shape the id must have (e.g. `UUID_ID`), so a forged cursor is a 400, not a database error. */
export function decodeCursor(cursor: string | undefined, idPattern?: RegExp): Position | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    const date = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(date.getTime()) || (idPattern && !idPattern.test(id))) throw new Error('bad');
    return { at: date, id };
  } catch {
    throw new AppError('validation_failed', 'cursor: not a cursor this API returned');
  }
}

/** Fetch `limit + 1` rows, then call this: it trims the extra row and makes the next cursor from the last kept one. */
export function pageOf<R, T>(rows: R[], limit: number, position: (row: R) => Position, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(view), next_cursor: more ? encodeCursor(position(kept[kept.length - 1])) : null };
}
