// podnet: the pod network of the kind cluster, in place of kindnetd (which no module registry
// here serves). On each node it writes the CNI configuration for the node's podCIDR (ptp +
// host-local + portmap, plugins shipped in the node image) and routes every other node's
// podCIDR through that node's InternalIP. All nodes share one podman network, so a route to the
// neighbour is all that pod traffic between nodes needs; nothing is encapsulated or masqueraded,
// so NetworkPolicy enforcers see the pods' own addresses.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const resync = 5 * time.Second

func main() {
	nodeName := os.Getenv("NODE_NAME")
	cniConfig := envOr("CNI_CONFIG", "/etc/cni/net.d/10-podnet.conflist")
	if nodeName == "" {
		log.Fatal("NODE_NAME is not set (the DaemonSet passes spec.nodeName)")
	}
	config, err := rest.InClusterConfig()
	if err != nil {
		log.Fatalf("in-cluster config: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(config)
	for {
		if err := sync(context.Background(), client, nodeName, cniConfig); err != nil {
			log.Printf("sync: %v", err)
		}
		time.Sleep(resync)
	}
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func sync(ctx context.Context, client kubernetes.Interface, nodeName, cniConfig string) error {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range nodes.Items {
		node := &nodes.Items[i]
		if node.Spec.PodCIDR == "" {
			continue
		}
		if node.Name == nodeName {
			if err := writeCNIConfig(cniConfig, node.Spec.PodCIDR); err != nil {
				return err
			}
			continue
		}
		if err := routeTo(node); err != nil {
			log.Printf("route to %s: %v", node.Name, err)
		}
	}
	return nil
}

func routeTo(node *corev1.Node) error {
	_, podCIDR, err := net.ParseCIDR(node.Spec.PodCIDR)
	if err != nil {
		return err
	}
	var gateway net.IP
	for _, address := range node.Status.Addresses {
		if address.Type == corev1.NodeInternalIP {
			if ip := net.ParseIP(address.Address); ip.To4() != nil {
				gateway = ip
			}
		}
	}
	if gateway == nil {
		return fmt.Errorf("no IPv4 InternalIP yet")
	}
	return netlink.RouteReplace(&netlink.Route{Dst: podCIDR, Gw: gateway})
}

// writeCNIConfig writes the node's CNI configuration when it differs, atomically: the kubelet
// and containerd watch the directory and must never read half a file.
func writeCNIConfig(path, podCIDR string) error {
	config := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "podnet",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"mtu":    1500,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": podCIDR}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return err
	}
	if current, err := os.ReadFile(path); err == nil && string(current) == string(data) {
		return nil
	}
	temporary := filepath.Join(filepath.Dir(path), ".podnet.tmp")
	if err := os.WriteFile(temporary, data, 0o644); err != nil {
		return err
	}
	log.Printf("CNI configuration for podCIDR %s", podCIDR)
	return os.Rename(temporary, path)
}
