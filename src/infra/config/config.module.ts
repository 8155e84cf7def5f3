import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ArbiterConfig } from './config.js';

/** Injection token for the validated configuration. */
export const ARBITER_CONFIG = Symbol('ARBITER_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ArbiterConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: ARBITER_CONFIG, useValue: config }], exports: [ARBITER_CONFIG] };
  }
}
