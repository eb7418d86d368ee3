#!/usr/bin/env bash
# S3-compatible object store for Thanos's bucket: moto's standalone server (PyPI, Apache-2.0)
# in a venv of its own. MinIO, which Helios deploys, is AGPL and is never built here.
#   s3-server -H 127.0.0.1 -p PORT     # any access key/secret is accepted; buckets via the S3 API
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_VERSION=5.2.5
BIN="$PEERS_BIN/s3-server"
VENV="$PEERS_SRC/moto-venv"

if ! stamped s3-server "$MOTO_VERSION" || [ ! -x "$BIN" ]; then
	t0=$SECONDS
	rm -rf "$VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
	cat >"$BIN" <<SH
#!/bin/sh
exec "$VENV/bin/moto_server" "\$@"
SH
	chmod +x "$BIN"
	stamp s3-server "$MOTO_VERSION"
	log "s3-server (moto) installed in $((SECONDS - t0)) s"
fi

"$VENV/bin/python" -c 'import moto; print("moto", moto.__version__)' >&2
report s3-server "moto-$MOTO_VERSION" "$BIN"
