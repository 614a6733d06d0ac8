# flow-manager runs straight from TypeScript with tsx (a runtime dependency): no build step.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Sources, schema (applied on start) and the rest; .dockerignore keeps tests and local state out.
COPY . .

USER node
EXPOSE 9464
CMD ["npm", "start"]
