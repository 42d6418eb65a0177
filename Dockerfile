# The Sync Center app image: `sync-center api` or `sync-center worker` (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# postinstall provisions Temporal dev binaries when python3 is present; production talks to a cluster instead.
COPY scripts ./scripts
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
# The web console's bundle (postinstall above ran before the sources were copied in).
RUN node scripts/build-console.js
USER node
ENTRYPOINT ["node", "cli/bin.js"]
CMD ["api"]
