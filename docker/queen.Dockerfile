# The Hive queen, built from the package tarball (`npm pack` in a clone → hive-ci-<version>.tgz):
#
#   npm pack --pack-destination docker/
#   docker build -f docker/queen.Dockerfile -t hive-queen docker/
#   docker run -d --init --name hive-queen -p 8080:8080 -v hive-data:/var/lib/hive hive-queen
#
# The data volume holds the embedded database, the repository mirrors and secret.key (back
# it up as a whole: without secret.key the stored secrets cannot be decrypted). With
# `-e DATABASE_URL=postgres://…` the database is PostgreSQL; the volume still holds the
# mirrors and secret.key. docs/OPERATIONS.md tells the rest.
#
# The first lines are the same as in drone.Dockerfile, so the two images share their layers.
ARG BASE_IMAGE=node:20-slim
FROM ${BASE_IMAGE}

# git: the queen reads each build's .hive.yml from its own mirror of the repository.
RUN command -v git >/dev/null || { apt-get update \
      && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
      && rm -rf /var/lib/apt/lists/*; }

# Only run-time dependencies; their optional native builds (ssh2's, under dockerode) are
# skipped: Hive runs without them, and the slim image has no compiler.
COPY hive-ci-*.tgz /tmp/hive-ci/
RUN npm install --global --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier /tmp/hive-ci/hive-ci-*.tgz \
    && rm -rf /tmp/hive-ci /root/.npm \
    && hive --version

# The official image's unprivileged user (uid 1000) owns the data; the process runs as it.
RUN mkdir -p /var/lib/hive /var/lib/hive-drone && chown node:node /var/lib/hive /var/lib/hive-drone
ENV NODE_ENV=production

ENV HIVE_DATA_DIR=/var/lib/hive \
    HIVE_HOST=0.0.0.0 \
    HIVE_PORT=8080
VOLUME /var/lib/hive
WORKDIR /var/lib/hive
USER node
EXPOSE 8080
# /healthz answers once the queen serves; node's own fetch, as the image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HIVE_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops it gracefully: it stores what drones sent, lets plugin hooks end (10 s each)
# and closes the database. Drones keep building and reconnect to the next queen. docker stop
# waits 10 s by default; -t 30 gives it room.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hive", "queen"]
