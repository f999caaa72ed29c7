// gohello sends one Go crypto/tls ClientHello to 127.0.0.1:PORT.
// Usage: go run . PORT   (the handshake is expected to fail)
package main

import (
	"crypto/tls"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gohello PORT")
		os.Exit(2)
	}
	conn, err := tls.Dial("tcp", "127.0.0.1:"+os.Args[1], &tls.Config{
		ServerName: "proxy.golang.org",
		NextProtos: []string{"h2", "http/1.1"},
	})
	if err != nil {
		fmt.Println("handshake failed (expected):", err)
		return
	}
	conn.Close()
}
