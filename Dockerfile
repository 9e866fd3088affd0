# syntax=docker/dockerfile:1
# Node 24 is the current LTS (Node 20 reached end of life on 2026-04-30); the code also runs on
# Node 20.19+ (package.json engines), which .ci/run keeps testing alongside 24.
# Build stage: install everything, compile TypeScript to dist/.
FROM node:24.21-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled code only, as an unprivileged user.
FROM node:24.21-bookworm-slim AS runtime
# NODE_OPTIONS keeps stack traces pointing at the TypeScript sources (dist/ ships its source maps).
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The set-up check, with the same environment as the bridge:
#   docker run --rm -e BIGCOMMERCE_STORE_HASH=... -e BIGCOMMERCE_ACCESS_TOKEN=... IMAGE node dist/doctor/main.js
# node itself is PID 1's command, so `docker stop`'s SIGTERM reaches it and requests in flight
# drain (npm would not forward the signal). test/process/sigterm-drain.e2e.ts runs this exact CMD.
CMD ["node", "dist/main.js"]
