# A Hive drone, built from the package tarball (`npm pack` in a clone → hive-ci-<version>.tgz):
#
#   npm pack --pack-destination docker/
#   docker build -f docker/drone.Dockerfile -t hive-drone docker/
#   docker run -d --init --name hive-drone -e HIVE_QUEEN_URL=ws://queen-host:8080 \
#     -e HIVE_DRONE_TOKEN=… -e HIVE_DRONE_NAME=builder-1 -v hive-drone:/var/lib/hive-drone hive-drone
#
# Builds run as plain processes in this container (with what the image has: add your
# toolchains in an image FROM this one). To run jobs' images in Docker instead, give it the
# host's engine and the data directory at the same path as on the host (the engine
# bind-mounts workspaces by their host path):
#   -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)"
#   -v /var/lib/hive-drone:/var/lib/hive-drone
# docs/OPERATIONS.md tells the rest.
#
# The first lines are the same as in queen.Dockerfile, so the two images share their layers.
ARG BASE_IMAGE=node:20-slim
FROM ${BASE_IMAGE}

# git: the drone checks out each build's commit from its own cache of the repository.
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

ENV HIVE_DRONE_DATA_DIR=/var/lib/hive-drone
VOLUME /var/lib/hive-drone
WORKDIR /var/lib/hive-drone
USER node
# No HEALTHCHECK: a drone serves nothing; the queen's Drones page shows whether it is connected.
# SIGTERM: no new builds; running ones are stopped (they end errored: the queen may re-queue
# them), their cleanup phase runs (at most 60 s) and their last lines reach the queen (5 s):
# give it that time, docker stop -t 90.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hive", "drone"]
