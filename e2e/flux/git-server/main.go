// git-server serves the bare repositories under GIT_PROJECT_ROOT over git's smart HTTP
// protocol (clone, fetch and push), by running `git http-backend` as a CGI program. It listens
// on 127.0.0.1 only: the local stack's Flux source-controller clones from it, tests push to it.
//
//	git-server -addr 127.0.0.1:21180 -root <dir>
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:21180", "listen address")
	root := flag.String("root", "", "directory of the bare repositories (GIT_PROJECT_ROOT)")
	flag.Parse()
	if *root == "" {
		log.Fatal("-root is required")
	}
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		log.Fatalf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + *root,
			// Serve every repository under the root, without a git-daemon-export-ok file in each.
			"GIT_HTTP_EXPORT_ALL=1",
		},
		// git-http-backend needs HOME and PATH to find git's own programs and configuration.
		InheritEnv: []string{"PATH", "HOME"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("/", backend)
	log.Printf("serving %s on http://%s/", *root, *addr)
	if err := http.ListenAndServe(*addr, mux); err != nil {
		log.Println(err)
		os.Exit(1)
	}
}
