#!/bin/sh
# Create Corridor's PostgreSQL role and database on this machine (Debian 12, PostgreSQL 15).
# Run as root once: sh deploy/postgresql/setup.sh
# The role has no password: it signs in over the Unix socket as the Unix user of the same name
# (peer authentication), so no database secret exists anywhere to be stolen. Nothing listens on
# the network: PostgreSQL's listen_addresses stays 'localhost' (Debian's default).
set -eu
ROLE="${CORRIDOR_DB_ROLE:-corridor}"
DB="${CORRIDOR_DB_NAME:-corridor}"
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -v role="$ROLE" -v db="$DB" -f "$(dirname "$0")/setup.sql"
cat <<MSG
Done. In /etc/postgresql/15/main/pg_hba.conf keep only local lines for Corridor (see
deploy/postgresql/pg_hba.conf.snippet), check listen_addresses = 'localhost' in
/etc/postgresql/15/main/postgresql.conf, then: systemctl reload postgresql
DATABASE_URL=postgres:///$DB
MSG
