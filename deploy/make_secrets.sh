#!/bin/sh
# Writes the random secrets docker-compose.yml reads into ./secrets/ (mode 600, never committed:
# .gitignore). Run once per installation; an existing file is kept, so running it again changes
# nothing. Bring your own TLS certificate for production (secrets/tls_certificate.pem and
# secrets/tls_private_key.pem); without one, a self-signed certificate for trying it out is made.
set -eu
cd "$(dirname "$0")/.."
# The folder is the operator's alone; the files in it must be readable by the containers' own
# users (compose bind-mounts each file as it is, without swarm's uid/mode options).
mkdir -p secrets && chmod 700 secrets
umask 022
rand() { python3 -c 'import secrets; print(secrets.token_urlsafe(48))'; }
for name in secret_key db_superuser_password db_owner_password db_app_password redis_password \
            intermediary_ws_secret metrics_token; do
  [ -s "secrets/$name" ] || rand > "secrets/$name"
done
[ -s secrets/broker_url ] || printf 'redis://:%s@redis:6379/0\n' "$(cat secrets/redis_password)" > secrets/broker_url
if [ ! -s secrets/tls_certificate.pem ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 365 -subj "/CN=${TLS_COMMON_NAME:-localhost}" \
    -keyout secrets/tls_private_key.pem -out secrets/tls_certificate.pem 2>/dev/null
fi
echo "secrets written to $(pwd)/secrets"
