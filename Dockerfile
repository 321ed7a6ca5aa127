# The scaled image: same code path as `npm start`, configured by environment, run as compiled
# JavaScript with node as PID 1's direct process so `docker stop` (SIGTERM) drains the server.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# python3 (standard library only) runs the command executor's example trainer in the worker;
# a trainer with its own dependencies belongs in its own image, reached by the webhook executor.
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/examples ./examples
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/data NODE_ENV=production
# Not root: the image's `node` user owns only its data directory.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Not `npm start`: npm is for development; here node itself receives SIGTERM.
CMD ["node", "dist/src/server.js"]
