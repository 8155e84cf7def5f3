import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { AppModule } from './app.module.js';
import type { ArbiterConfig } from './infra/config/config.js';
import { ArbiterLogger } from './infra/logging/arbiter-logger.js';
import { HttpExceptionFilter } from './infra/errors/http-exception.filter.js';
import { strictValidationPipe } from './infra/errors/validation.js';
import { withErrorResponses } from './infra/http/api-schema.js';
import { ArbiterWsAdapter } from './infra/websocket/arbiter-ws.adapter.js';

/** Builds a fully configured Arbiter application (not yet listening). `npm start` and the e2e tests both use it. */
export async function createApp(config: ArbiterConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    // Throw instead of exiting the process, so main.ts can print one clear line and the tests see the error.
    abortOnError: false,
  });
  app.useLogger(app.get(ArbiterLogger));
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.useBodyParser('json', { limit: '1mb' });
  app.use(cookieParser());
  app.useWebSocketAdapter(new ArbiterWsAdapter(app, config.wsMaxFrameBytes));
  app.useGlobalPipes(strictValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());

  const openApi = withErrorResponses(SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Arbiter API')
      .setDescription('Oversight control plane for AI agents: projects, API keys, policies, reviews, shares.')
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth('arbiter_session')
      .build(),
  ));
  SwaggerModule.setup('api/docs', app, openApi, { jsonDocumentUrl: 'api/openapi.json' });
  return app;
}
