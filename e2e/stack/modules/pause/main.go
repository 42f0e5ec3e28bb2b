// The local stack's pause image: the process that holds a pod sandbox's namespaces. It only
// waits for SIGTERM or SIGINT (no registry image can be pulled here, so it is built locally).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
