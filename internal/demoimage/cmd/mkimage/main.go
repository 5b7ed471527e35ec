// Command mkimage builds the offline demo image zun/busybox:local in the
// local Docker Engine if it is absent and prints its reference. `make image`
// runs it. The engine is DOCKER_HOST or the default socket, or -host.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/zun-go/zun/internal/demoimage"
)

func main() {
	host := flag.String("host", "", "Docker Engine address (default: DOCKER_HOST or the local socket)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref, err := demoimage.Ensure(ctx, *host)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	fmt.Println(ref)
}
