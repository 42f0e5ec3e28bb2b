#!/usr/bin/env bash
# Builds, with no image registry, every image a kind cluster here needs, and leaves the node
# image in podman's store (its name on stdout's last line):
#
#   the control-plane images   kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy,
#                              etcd, CoreDNS, pause, under the registry.k8s.io names kubeadm asks for
#   the pod network            podnet (images/podnet), in place of kindnetd
#   the NetworkPolicy enforcer kube-router's network policy controller (images/kube-router)
#   the node image             a Debian rootfs (mmdebstrap) with systemd, containerd, runc, crictl,
#                              the CNI plugins, kubeadm, kubelet and kubectl, kind's layout
#                              (/kind/version, the entrypoint), and every image above preloaded
#                              into its containerd
#
# Go programs come from the pins the local stack already uses (the Kubernetes and etcd module,
# containerd, crictl, the CNI plugins, pause), with the stack's flags, so that Go's build cache
# serves what the stack has built. Every step is cached under $RATINGS_CACHE/kind (default
# ~/.cache/ratings-operator/kind) by a hash of its inputs: a warm run only checks hashes.
#
#   e2e/kind/images/build.sh   # prints the path of an env file naming what it built:
#                              # KIND, KUBECTL, NODE_IMAGE, PODNET_IMAGE, KUBE_ROUTER_IMAGE, ARCHIVES
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
cache="${RATINGS_CACHE:-$HOME/.cache/ratings-operator}/kind"

# shellcheck source=e2e/kind/images/steps.sh
source "$here/steps.sh"

# The stack's Kubernetes pin (its module is moving from components/ to modules/kubernetes).
kubernetes_module=""
for dir in "$repo_root/e2e/stack/modules/kubernetes" "$repo_root/e2e/stack/components"; do
  if [[ -f $dir/go.mod ]]; then
    kubernetes_module="$dir"
    break
  fi
done
[[ -n $kubernetes_module ]] || {
  say 'no Go module pins k8s.io/kubernetes under e2e/stack'
  exit 1
}
pin() { awk -v m="$1" '$1 == m {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "$2"; }
kubernetes_version="$(pin k8s.io/kubernetes "$kubernetes_module/go.mod")"
etcd_version="$(pin go.etcd.io/etcd/server/v3 "$kubernetes_module/go.mod")"
coredns_version="$(pin github.com/coredns/coredns "$here/coredns/go.mod")"
go_version="$(go version)"

version_flags() {
  local major minor pkg
  major="$(cut -d. -f1 <<<"${kubernetes_version#v}")"
  minor="$(cut -d. -f2 <<<"$kubernetes_version")"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$pkg" "$kubernetes_version" "$pkg" "$major" "$pkg" "$minor" "$pkg"
  done
}

# kubeadm is not among the stack's programs: a copy of its module with kubeadm added builds
# everything at the same pins (go.sum gains kubeadm's few extra entries, no version changes).
build_kubernetes() {
  local module="$out/module"
  mkdir -p "$module"
  cp "$kubernetes_module"/go.mod "$kubernetes_module"/go.sum "$module/"
  cat >"$module/tools.go" <<'EOF'
//go:build tools

package components

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
EOF
  (cd "$module" && go mod tidy)
  mkdir -p "$out/bin"
  (cd "$module" && go build -trimpath -ldflags="-s -w $(version_flags)" -o "$out/bin/" \
    go.etcd.io/etcd/server/v3 \
    k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager,kube-proxy,kube-scheduler,kubeadm,kubectl,kubelet})
  mv "$out/bin/server" "$out/bin/etcd"
  rm -rf "$module"
}

# A Go module's packages with the stack's flags: $1 module dir, $2 CGO_ENABLED, $3 tags, rest packages.
build_module() {
  local dir=$1 cgo=$2 tags=$3
  shift 3
  mkdir -p "$out/bin"
  (cd "$dir" && CGO_ENABLED=$cgo go build -trimpath -ldflags="-s -w" ${tags:+-tags "$tags"} -o "$out/bin/" "$@")
}
build_own_module() { # our modules under images/: one binary named after the directory
  (cd "$here/$1" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out/bin/$1" .)
}


stack_modules="$repo_root/e2e/stack/modules"
kind_version=v0.33.0
install_kind() { GOBIN="$out/bin" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kind@$kind_version"; }
step kind-cli "$(hash_of "$go_version" "$kind_version")" install_kind
kind_bin="$out/bin"
step kubernetes "$(hash_of "$go_version" file:"$kubernetes_module/go.mod" file:"$kubernetes_module/go.sum" "$(version_flags)" kubeadm)" build_kubernetes
kube_bin="$out/bin"
step containerd "$(hash_of "$go_version" dir:"$stack_modules/containerd")" \
  build_module "$stack_modules/containerd" 0 "no_btrfs no_devmapper no_zfs" \
  github.com/containerd/containerd/v2/cmd/{containerd,containerd-shim-runc-v2,ctr}
containerd_bin="$out/bin"
step crictl "$(hash_of "$go_version" dir:"$stack_modules/cri-tools")" \
  build_module "$stack_modules/cri-tools" 0 "" sigs.k8s.io/cri-tools/cmd/crictl
crictl_bin="$out/bin"
step cni-plugins "$(hash_of "$go_version" dir:"$stack_modules/cni-plugins" ptp)" \
  build_module "$stack_modules/cni-plugins" 0 "" \
  github.com/containernetworking/plugins/plugins/{ipam/host-local,main/loopback,main/ptp,meta/portmap}
cni_bin="$out/bin"
step pause "$(hash_of "$go_version" dir:"$stack_modules/pause")" build_module "$stack_modules/pause" 0 "" .
pause_bin="$out/bin"
step coredns "$(hash_of "$go_version" dir:"$here/coredns")" build_own_module coredns
coredns_bin="$out/bin"
step podnet "$(hash_of "$go_version" dir:"$here/podnet")" build_own_module podnet
podnet_bin="$out/bin"
step kube-router "$(hash_of "$go_version" dir:"$here/kube-router")" \
  build_module "$here/kube-router" 0 "" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
kube_router_bin="$out/bin"

node_packages=systemd,systemd-sysv,dbus,runc,iptables,conntrack,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,ca-certificates,procps,socat,ipset,bash
step node-rootfs "$(hash_of "$debian_suite" "$node_packages")" debian_rootfs "$node_packages"
node_rootfs="$out/rootfs.tar"
net_packages=iptables,conntrack,ipset,iproute2
step net-rootfs "$(hash_of "$debian_suite" "$net_packages")" debian_rootfs "$net_packages"
net_rootfs="$out/rootfs.tar"

declare -A archives=()
image() { # $1 short name, $2 full name, $3 base rootfs or scratch, $4 program, $5 entrypoint (JSON)
  step "image-$1" "$(hash_of "$2" "$3" file:"$4" "$5" file:"$here/steps.sh")" \
    rootfs_image "$3" "$2" "$5" "$4:/usr/local/bin/$(basename "$4")"
  archives[$1]="$out/image.tar"
}

registry=registry.k8s.io
for program in kube-apiserver kube-controller-manager kube-scheduler; do
  image "$program" "$registry/$program:$kubernetes_version" scratch "$kube_bin/$program" "[\"/usr/local/bin/$program\"]"
done
image kube-proxy "$registry/kube-proxy:$kubernetes_version" "$net_rootfs" "$kube_bin/kube-proxy" '["/usr/local/bin/kube-proxy"]'
image etcd "$registry/etcd:${etcd_version#v}-0" scratch "$kube_bin/etcd" '["/usr/local/bin/etcd"]'
image coredns "$registry/coredns/coredns:$coredns_version" scratch "$coredns_bin/coredns" '["/usr/local/bin/coredns"]'
image pause "$registry/pause:3.10.2" scratch "$pause_bin/pause" '["/usr/local/bin/pause"]'
podnet_image="localhost/ratings-kind/podnet:$(hash_of dir:"$podnet_bin")"
image podnet "$podnet_image" "$net_rootfs" "$podnet_bin/podnet" '["/usr/local/bin/podnet"]'
kube_router_image="localhost/ratings-kind/kube-router:$(hash_of dir:"$kube_router_bin")"
image kube-router "$kube_router_image" "$net_rootfs" "$kube_router_bin/kube-router" '["/usr/local/bin/kube-router"]'

# The node image: the rootfs, the node's programs and files, then the images preloaded into its
# containerd (as kind's own node-image build does), committed with kind's entrypoint.
node_files="$here/../node/files"
build_node() {
  local root="$out/root" container
  mkdir -p "$root"
  tar -C "$root" -xf "$node_rootfs"
  cp -a "$node_files"/. "$root/"
  install -m 755 "$kube_bin"/{kubeadm,kubelet,kubectl} "$root/usr/bin/"
  install -m 755 "$containerd_bin"/* "$crictl_bin"/crictl "$root/usr/local/bin/"
  mkdir -p "$root/opt/cni/bin" "$root/etc/cni/net.d" "$root/kind" "$root/etc/kubernetes/manifests"
  install -m 755 "$cni_bin"/* "$root/opt/cni/bin/"
  echo "$kubernetes_version" >"$root/kind/version"
  # Units a container does not need or cannot run; the journal must not read the host's kmsg.
  rm -f "$root"/lib/systemd/system/multi-user.target.wants/* "$root"/etc/systemd/system/*.wants/*
  rm -f "$root"/lib/systemd/system/sockets.target.wants/*udev* "$root"/lib/systemd/system/sysinit.target.wants/systemd-udev*
  echo 'ReadKMsg=no' >>"$root/etc/systemd/journald.conf"
  systemctl --root="$root" enable containerd.service kubelet.service >/dev/null
  systemctl --root="$root" mask systemd-binfmt.service getty.target console-getty.service >/dev/null
  tar -C "$root" -c . | podman import - localhost/ratings-kind/node-base:build >/dev/null
  rm -rf "$root"

  container="$(podman run -d --privileged --entrypoint sleep localhost/ratings-kind/node-base:build infinity)"
  local status=0
  preload "$container" || status=$?
  podman rm -f "$container" >/dev/null
  podman rmi localhost/ratings-kind/node-base:build >/dev/null
  return "$status"
}
preload() {
  local container=$1 tries=0 archive
  podman exec -d "$container" /usr/local/bin/containerd
  until podman exec "$container" ctr version >/dev/null 2>&1; do
    ((++tries < 60)) || return 1
    sleep 1
  done
  for archive in "${archives[@]}"; do
    podman exec -i "$container" ctr -n k8s.io images import --no-unpack --digests - <"$archive"
  done
  podman exec "$container" ctr -n k8s.io images list -q
  podman exec "$container" sh -c 'pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done; rm -rf /run/containerd /run/nri /tmp/*'
  podman commit \
    --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
    --change 'ENV container=podman' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    "$container" "$node_image" >/dev/null
}
node_hash="$(hash_of dir:"$node_files" file:"$0" file:"$node_rootfs" dir:"$kube_bin" dir:"$containerd_bin" dir:"$crictl_bin" dir:"$cni_bin" "${archives[@]}")"
node_image="localhost/ratings-kind/node:$kubernetes_version-$node_hash"
if ! podman image exists "$node_image"; then
  rm -rf "$cache/node/$node_hash"
fi
step node "$node_hash" build_node

env_file="$cache/env"
{
  echo "KIND=$kind_bin/kind"
  echo "KUBECTL=$kube_bin/kubectl"
  echo "NODE_IMAGE=$node_image"
  echo "PODNET_IMAGE=$podnet_image"
  echo "KUBE_ROUTER_IMAGE=$kube_router_image"
  echo "ARCHIVES='${archives[*]}'"
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"
echo "$env_file"
