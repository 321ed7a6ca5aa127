import type { FastifyPluginAsync } from 'fastify';
import type { Container } from '../container.js';
import { AppError } from '../http/errors.js';
import { sendProblem } from '../http/problem.js';
import { registerMlflowErrors } from './errors.js';
import { mlflowRegistryRoutes } from './registry.routes.js';
import { mlflowTrackingRoutes } from './tracking.routes.js';
import { mlflowArtifactsRoutes } from './artifacts.routes.js';

export const MLFLOW_PREFIX = '/api/2.0/mlflow';
export const MLFLOW_ARTIFACTS_PREFIX = '/api/2.0/mlflow-artifacts';

/**
 * The MLflow-compatible REST surface, on the app's port, in its own scope: its errors are
 * MLflow's `{error_code, message}` (errors.ts), everything else — auth, limits, logging — is the
 * app's. Mounted by app.ts; over the container's services, never a second registry.
 */
export function mlflowRoutes(container: Container): FastifyPluginAsync {
  return async (app) => {
    registerMlflowErrors(app);
    await app.register(
      async (api) => {
        await api.register(mlflowRegistryRoutes(container.mlflow.registry));
        await api.register(mlflowTrackingRoutes(container.mlflow.tracking, container.mlflow.loggedModels));
        api.setNotFoundHandler((request, reply) =>
          sendProblem(reply, new AppError('ROUTE_NOT_FOUND', `no MLflow endpoint ${request.method} ${request.url.split('?')[0]} on this server`)),
        );
      },
      { prefix: MLFLOW_PREFIX },
    );
    await app.register(
      async (api) => {
        await api.register(mlflowArtifactsRoutes(container.mlflow.artifacts));
        api.setNotFoundHandler((request, reply) =>
          sendProblem(reply, new AppError('ROUTE_NOT_FOUND', `no MLflow endpoint ${request.method} ${request.url.split('?')[0]} on this server`)),
        );
      },
      { prefix: MLFLOW_ARTIFACTS_PREFIX },
    );
  };
}
