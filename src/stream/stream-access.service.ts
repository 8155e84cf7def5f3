import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { UserPrincipal } from '../auth/principal.js';
import { signInsEndedChannel } from '../auth/sign-ins-ended.js';
import { PrismaService } from '../infra/database/prisma.service.js';
import { PgNotifyService } from '../infra/notify/pg-notify.service.js';

interface SignInWatch {
  user: UserPrincipal;
  onEnded: () => void;
}

/** Who may see what on the live feed, and whether an open feed's sign-in still holds. */
@Injectable()
export class StreamAccessService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(StreamAccessService.name);
  /** Open feeds on this instance by user id. */
  private readonly watches = new Map<string, Set<SignInWatch>>();
  private readonly stop: Array<() => void> = [];

  constructor(
    private readonly prisma: PrismaService,
    private readonly notify: PgNotifyService,
  ) {}

  onModuleInit(): void {
    this.stop.push(
      this.notify.subscribe(signInsEndedChannel, (payload) => {
        if (typeof payload?.user_id === 'string') this.recheck(this.watches.get(payload.user_id));
      }),
      // Endings announced while the LISTEN connection was down were not heard: check every open feed.
      this.notify.onReconnect(() => {
        for (const set of this.watches.values()) this.recheck(set);
      }),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.stop.splice(0)) stop();
  }

  /**
   * Projects are not yet assigned to people: every signed-in user (viewer, reviewer, admin) sees every project, as
   * the REST API already lets them. When memberships arrive, this is the one place the feed filters by them.
   */
  projectFilter(_user: UserPrincipal): (projectId: string) => boolean {
    return () => true;
  }

  /**
   * Calls `onEnded` as soon as `user`'s sign-in ends by sign-out, password change or disable, on any instance (they
   * announce it on signInsEndedChannel). Expiry is not announced: callers still check now and then. Returns the
   * function that stops watching.
   */
  watch(user: UserPrincipal, onEnded: () => void): () => void {
    const watch: SignInWatch = { user, onEnded };
    let set = this.watches.get(user.userId);
    if (!set) this.watches.set(user.userId, (set = new Set()));
    set.add(watch);
    return () => {
      set.delete(watch);
      if (set.size === 0 && this.watches.get(user.userId) === set) this.watches.delete(user.userId);
    };
  }

  /** False once the user signed out, the session expired, or the account was disabled. */
  async stillSignedIn(user: UserPrincipal): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM user_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = ${user.sessionId}::uuid AND s.expires_at > now() AND NOT u.disabled`;
    return rows.length > 0;
  }

  /** One query per open feed of the user: the announcement does not say which of their sessions ended. */
  private recheck(set: Set<SignInWatch> | undefined): void {
    for (const watch of [...(set ?? [])]) {
      this.stillSignedIn(watch.user).then(
        (ok) => {
          if (!ok) watch.onEnded();
        },
        (err: Error) => this.logger.warn(`re-checking a stream's sign-in failed: ${err.message}`),
      );
    }
  }
}
