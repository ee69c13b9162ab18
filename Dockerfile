# tempohook: one image for both production processes (`tempohook ingress`, `tempohook worker`).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
# The whole pruned tree: dist/, bin/, node_modules/ and the SQL migrations under src/store/.
COPY --from=build /app /app
# TempohookPlugin generates the worker's workflows entry (yours + its delivery workflow) here.
RUN mkdir -p /app/.tempohook-generated && chown node:node /app/.tempohook-generated
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/tempohook.js"]
CMD ["--help"]
