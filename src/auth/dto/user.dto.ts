import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, ValidateIf } from 'class-validator';
import type { User } from '../../generated/prisma/client.js';

export const USER_ROLES = ['admin', 'reviewer', 'viewer'] as const;

/** May be left out, but not sent as null (unlike @IsOptional, which lets null through unvalidated). */
const Omittable = () => ValidateIf((_object, value) => value !== undefined);

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES })
  @Omittable()
  @IsIn(USER_ROLES)
  role?: (typeof USER_ROLES)[number];

  @ApiPropertyOptional()
  @Omittable()
  @IsBoolean()
  disabled?: boolean;
}

export class UserView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  email!: string;
  @ApiProperty({ enum: USER_ROLES })
  role!: string;
  @ApiProperty()
  disabled!: boolean;
  @ApiProperty({ description: 'When true, every route but me, logout and change-password answers 403 password_change_required' })
  must_change_password!: boolean;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC' })
  created_at!: string;
}

export class CreatedUserView extends UserView {
  @ApiPropertyOptional({ description: 'The generated initial password, in this answer only (absent when you sent one)' })
  password?: string;
}

export class UserPage {
  @ApiProperty({ type: [UserView] })
  items!: UserView[];
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export function userView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    disabled: user.disabled,
    must_change_password: user.mustChangePassword,
    created_at: user.createdAt.toISOString(),
  };
}
