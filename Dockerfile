# The service image: one image, three commands (API, worker, Ondato simulator). Multi-stage: the build stage
# compiles TypeScript and pre-builds the workflow bundle; the runtime stage carries only what runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Sources only: .dockerignore keeps tests, benchmarks, local data and build output out.
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# Two glibc malloc arenas instead of one per thread (the SDK's core runs a thread pool): a worker with 2,000 runs
# waiting held 429 MiB instead of 652 (bench/README.md).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Owned by the runtime user, so a named volume mounted here starts writable.
RUN mkdir -p /var/lib/onboarding/documents && chown -R node:node /var/lib/onboarding
USER node
EXPOSE 3000 4010
# The API by default; the worker runs `node dist/workers/main.js`, the simulator `node dist/simulator/main.js`.
CMD ["node", "dist/api/main.js"]
