# The compat-matrix server and worker, for hosts with a registry (docker-compose.yml). On a host
# without one, `npm run demo` runs the same processes directly (cli/local-stack.ts).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV COMPAT_DATA_DIR=/data
ENTRYPOINT ["node", "bin/compat.js"]
