# shellcheck shell=bash disable=SC2154 # $cache comes from the script that sources this
# Helpers of build.sh and product.sh (sourced): cached build steps keyed by a hash of their
# inputs, Debian rootfs tarballs, and image archives made from them without a registry.
# Needs $cache (the cache directory of the kind images).
debian_suite=bookworm
logs="$cache/logs"
mkdir -p "$cache" "$logs"
# Package traffic may pass a TLS proxy that only the host trusts: Go's module downloads use the
# host's bundle. It is never copied into an image.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] && export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/podman/containers.conf}"

say() { printf '[kind-images] %s\n' "$*" >&2; }

# A short hash of its arguments: "file:PATH" hashes a file's content, "dir:PATH" every file below
# PATH with its relative name (following links), anything else is hashed as text. Content, not
# paths, so that every checkout of the repository finds the same cache entries.
hash_of() {
  local part
  for part in "$@"; do
    case "$part" in
      file:*) sha256sum <"${part#file:}" ;;
      dir:*) (cd "${part#dir:}" && find -L . -type f -print0 | sort -z | xargs -0 sha256sum) ;;
      *) printf '%s\n' "$part" ;;
    esac
  done | sha256sum | cut -c1-16
}

# Runs a step's command once per hash: $1 names the step, $2 is its hash, the rest the command,
# which writes into $out ($cache/<step>/<hash>). Sets $out for the caller either way.
step() {
  local name=$1 hash=$2
  shift 2
  out="$cache/$name/$hash"
  [[ -f $out/.done ]] && return 0
  say "building $name ($hash; log $logs/$name.log)"
  rm -rf "$out" && mkdir -p "$out"
  local started=$SECONDS
  if ! "$@" >"$logs/$name.log" 2>&1; then
    tail -30 "$logs/$name.log" >&2
    say "$name failed (log $logs/$name.log)"
    exit 1
  fi
  touch "$out/.done"
  say "built $name in $((SECONDS - started))s"
}

# A Debian rootfs tarball with the comma-separated packages $1.
debian_rootfs() {
  mmdebstrap --variant=minbase --format=tar --include="$1" "$debian_suite" "$out/rootfs.tar"
}

# An image archive ($out/image.tar, docker-archive as containerd and `kind load` read it) named
# $2, from the rootfs tarball $1 ("scratch" for none) plus SRC:DEST copies ($4...), ENTRYPOINT $3.
rootfs_image() {
  local base=$1 name=$2 entrypoint=$3 staging pair id
  shift 3
  staging="$(mktemp -d)"
  [[ $base == scratch ]] || tar -C "$staging" -xf "$base"
  mkdir -p "$staging/tmp" "$staging/etc"
  chmod 1777 "$staging/tmp"
  for pair in "$@"; do
    mkdir -p "$(dirname "$staging/${pair#*:}")"
    cp -aL "${pair%%:*}" "$staging/${pair#*:}"
    # A program linked against the C library (the stack builds Kubernetes with cgo on) brings
    # the host's libraries it names, as a distroless base would hold them.
    [[ -f ${pair%%:*} ]] && ldd "${pair%%:*}" 2>/dev/null | grep -o '/[^ ]*' | while read -r library; do
      mkdir -p "$staging$(dirname "$library")"
      cp -L "$library" "$staging$library"
    done
  done
  [[ -f $staging/etc/passwd ]] ||
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' >"$staging/etc/passwd"
  id="$(tar -C "$staging" -c . | podman import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENTRYPOINT $entrypoint" - "$name")"
  rm -rf "$staging"
  podman save --format docker-archive -o "$out/image.tar" "$name"
  podman rmi "$id" >/dev/null
}
