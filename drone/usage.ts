/** What `hive drone --help` prints (and a misused command line after its error). */
export const DRONE_USAGE = `usage: hive drone --queen ws://host:8080 --token T [options]

Connects to a queen and runs the builds it assigns. Every option can also be set in the
environment (in parentheses); options win.

  --queen URL           the queen's address, ws(s):// or http(s):// (HIVE_QUEEN_URL); repeat it,
                        or give a comma-separated list, for queens sharing one PostgreSQL:
                        the drone uses one and moves to the next when it loses it
  --token T             a drone token the queen printed or an admin made (HIVE_DRONE_TOKEN)
  --token-file PATH     read the token from a file instead (HIVE_DRONE_TOKEN_FILE)
  --name NAME           shown in the queen's drone list; default the host name (HIVE_DRONE_NAME)
  --capacity N          builds at once; default the number of CPUs (HIVE_DRONE_CAPACITY)
  --labels a,b          labels jobs can ask for (HIVE_DRONE_LABELS)
  --plugins a,b         plugins installed here, for jobs that need them (HIVE_DRONE_PLUGINS)
  --speed X             relative speed for the scheduler; default 1 (HIVE_DRONE_SPEED)
  --data-dir PATH       repository caches and workspaces; default ./.hive/drone (HIVE_DRONE_DATA_DIR)
  --executor MODE       auto, docker or process; default auto (HIVE_DRONE_EXECUTOR)
  --docker-host URL     unix:///var/run/docker.sock or tcp://host:2375 (DOCKER_HOST)
  --docker-config DIR   the Docker client configuration whose registry logins pull
                        images (what docker login wrote); default ~/.docker (DOCKER_CONFIG)
  --keep-workspaces     keep each job's workspace afterwards (HIVE_DRONE_KEEP_WORKSPACES)
  --allow-privileged    run privileged containers: only where the host may be taken over
                        by a build (HIVE_DRONE_ALLOW_PRIVILEGED)
  -h, --help            this text`;
