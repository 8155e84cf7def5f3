import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import type { User } from '../../generated/prisma/client.js';

export const USER_ROLES = ['admin', 'reviewer', 'viewer'] as const;

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: (typeof USER_ROLES)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export interface UserView {
  id: string;
  email: string;
  role: string;
  disabled: boolean;
  must_change_password: boolean;
  created_at: string;
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
