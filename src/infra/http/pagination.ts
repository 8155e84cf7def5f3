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

/** For a table keyed by bigint (`decodeCursor` also refuses one past int8's range). */
export const BIGINT_ID = /^\d{1,19}$/;

const INT8_MAX = 2n ** 63n - 1n;

/** Exactly what `encodeCursor` writes (Date#toISOString of a year 0000-9999), so every value fits a timestamptz. */
const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The position a cursor names, or a 400 for anything `encodeCursor` did not make: the one place cursors are read, so
 * a forged one never reaches the database (where a bad uuid or timestamp would be a 500). `idPattern` is the shape
 * of the table's ids (`UUID_ID`, `BIGINT_ID`).
 */
export function decodeCursor(cursor: string | undefined, idPattern: RegExp): Position | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const parsed = parseCursor(cursor);
  if (!parsed || !idPattern.test(parsed[1])) throw new AppError('validation_failed', 'cursor: not a cursor this API returned');
  return { at: new Date(parsed[0]), id: parsed[1] };
}

function parseCursor(cursor: string): [string, string] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [at, id] = value as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !CURSOR_AT.test(at) || Number.isNaN(new Date(at).getTime())) return undefined;
  // A digits-only id is compared with a bigint column: past int8 the query would fail, not find nothing.
  if (/^\d{1,30}$/.test(id) && BigInt(id) > INT8_MAX) return undefined;
  return [at, id];
}

/** Fetch `limit + 1` rows, then call this: it trims the extra row and makes the next cursor from the last kept one. */
export function pageOf<R, T>(rows: R[], limit: number, position: (row: R) => Position, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(view), next_cursor: more ? encodeCursor(position(kept[kept.length - 1])) : null };
}
