/**
 * The usage texts of the API client, `hive users` and `hive db`: text only, so that
 * `hive <command> --help` loads nothing else (the commands' modules load the HTTP and
 * WebSocket clients, the protocol's schemas or the database layer: ~0.3 s of CPU more).
 */

/** `hive run|runs|logs|projects|jobs|cancel|queue|drone-token|tokens` (commands.ts). */
export const CLI_USAGE = `usage:
  hive run <project> [--branch B] [--sha S] [--deploy] [--message M] [--param NAME=value]… [--file PATH]…
           [--priority N] [--times N] [--follow | --wait]
  hive runs <run id>
  hive logs <job id> [--follow]
  hive projects
  hive jobs <project> [--limit N]
  hive cancel <job id>
  hive queue [--limit N]
  hive drone-token create <drone name>     a drone's own token (shown once; admins)
  hive drone-token create --shared <name>  a shared token for drones without their own
  hive drone-token list
  hive drone-token revoke <token id | drone name>
  hive tokens list                         the bootstrap tokens and your own (admins)
  hive tokens rotate admin|drone           a new bootstrap token, the old one revoked (shown once)
options: --url (or HIVE_URL, default http://localhost:8080), --token (or HIVE_TOKEN)`;

/** `hive users` (users-commands.ts). */
export const USERS_USAGE = `usage:
  hive users list
  hive users reset-password <username> [--password-stdin]
Runs where the queen runs, with its configuration (DATABASE_URL, or HIVE_DATA_DIR for the
embedded database, which the queen must not have open). reset-password prints a generated
password once, or takes the new one from standard input with --password-stdin; either way
the user's sessions end.`;

/** `hive db` (db-commands.ts). */
export const DB_USAGE = `usage:
  hive db export FILE    write every table of the database into FILE (gzip'd JSON lines)
  hive db import FILE    load such a file into an empty database (all or nothing)
Runs where the queen runs, with its configuration: DATABASE_URL for PostgreSQL, else the
embedded database in HIVE_DATA_DIR (./.hive), which no queen may have open: stop it first.
From the embedded database to PostgreSQL (the queen stopped):
  hive db export hive-export.jsonl.gz
  DATABASE_URL=postgres://user:pw@host/hive hive db import hive-export.jsonl.gz
then start the queen with that DATABASE_URL and the same HIVE_DATA_DIR: its secret.key
(or HIVE_SECRET_KEY) decrypts the projects' secrets, which the file holds sealed.
Export and import with the same version of Hive.`;
