import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { USER_ROLES, UserView } from './user.dto.js';
import { IsBoolean, IsEmail, IsIn, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @IsString()
  @MaxLength(320)
  email!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  current_password!: string;

  @ApiProperty({ minLength: 12 })
  @IsString()
  @MinLength(12)
  @MaxLength(1024)
  new_password!: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'reviewer@example.com' })
  @IsEmail()
  @MaxLength(320)
  email!: string;

  @ApiPropertyOptional({ minLength: 12, description: 'Left out: one is generated, shown once in the answer, and must be changed at first sign-in' })
  @ValidateIf((_object, value) => value !== undefined)
  @IsString()
  @MinLength(12)
  @MaxLength(1024)
  password?: string;

  @ApiProperty({ enum: USER_ROLES })
  @IsIn(USER_ROLES)
  role!: 'admin' | 'reviewer' | 'viewer';

  @ApiPropertyOptional({ description: 'Make the user change the password at first sign-in (false when left out; always so for a generated one)' })
  @ValidateIf((_object, value) => value !== undefined)
  @IsBoolean()
  must_change_password?: boolean;
}

/** What sign-in answers about the person: the user view without the admin-only fields. */
export class SignedInUser extends PickType(UserView, ['id', 'email', 'role', 'must_change_password'] as const) {}

export class LoginResponse {
  @ApiProperty({ description: 'Opaque session token: send it as `Authorization: Bearer <token>` (the cookie carries the same)' })
  token!: string;
  @ApiProperty({ format: 'date-time', description: 'ISO-8601 UTC; slides forward while the session is used' })
  expires_at!: string;
  @ApiProperty({ type: SignedInUser })
  user!: SignedInUser;
}

/** `GET /api/sdk/whoami` for a signed-in person. */
export class WhoAmIUser {
  @ApiProperty({ enum: ['user'] })
  kind!: 'user';
  @ApiProperty({ format: 'uuid' })
  user_id!: string;
}

/** `GET /api/sdk/whoami` for an SDK API key. */
export class WhoAmIApiKey {
  @ApiProperty({ enum: ['api_key'] })
  kind!: 'api_key';
  @ApiProperty({ format: 'uuid' })
  api_key_id!: string;
  @ApiProperty({ format: 'uuid' })
  project_id!: string;
}
