import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from '../auth/principal.js';
import { PrismaService } from '../infra/database/prisma.service.js';

/** Who may see what on the live feed, and whether an open feed's sign-in still holds. */
@Injectable()
export class StreamAccessService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Projects are not yet assigned to people: every signed-in user (viewer, reviewer, admin) sees every project, as
   * the REST API already lets them. When memberships arrive, this is the one place the feed filters by them.
   */
  projectFilter(_user: UserPrincipal): (projectId: string) => boolean {
    return () => true;
  }

  /** False once the user signed out, the session expired, or the account was disabled. */
  async stillSignedIn(user: UserPrincipal): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM user_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = ${user.sessionId}::uuid AND s.expires_at > now() AND NOT u.disabled`;
    return rows.length > 0;
  }
}
