import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'arbiter:public';

/** Opens a route or controller to unauthenticated callers; everything else is denied by the global guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
