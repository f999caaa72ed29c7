// proxy: a small, fast HTTP CONNECT proxy, so that the proxy is never what limits the benchmark.
//
// It accepts "CONNECT host:port", where host is a name from -hosts or an IP address, dials it, answers
// "HTTP/1.1 200 Connection established" and copies bytes both ways with ReadFrom between two *net.TCPConn
// (splice(2) on Linux: no payload in user space). A half-close on one side is passed on (CloseWrite).
package main

import (
	"bufio"
	"flag"
	"io"
	"log"
	"net"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

var hosts = map[string]string{}

func main() {
	listen := flag.String("listen", ":3128", "address to listen on")
	hostList := flag.String("hosts", "", "static names: name=ip,name=ip,...")
	flag.Parse()
	for _, kv := range strings.Split(*hostList, ",") {
		if name, ip, ok := strings.Cut(kv, "="); ok {
			hosts[strings.ToLower(name)] = ip
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("proxy listening on %s, hosts %v", ln.Addr(), hosts)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		go handle(c.(*net.TCPConn))
	}
}

func handle(c *net.TCPConn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 4096)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	for size := 0; ; { // the request's header lines, up to the empty one
		h, err := br.ReadString('\n')
		size += len(h)
		if err != nil || size > 8192 {
			return
		}
		if h == "\r\n" || h == "\n" {
			break
		}
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "CONNECT" {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
		return
	}
	host, port, err := net.SplitHostPort(f[1])
	if err != nil {
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
		return
	}
	ip, known := hosts[strings.ToLower(host)]
	if !known && net.ParseIP(host) != nil {
		ip, known = host, true
	}
	if !known {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
		return
	}
	u, err := net.DialTimeout("tcp", net.JoinHostPort(ip, port), 5*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
		return
	}
	up := u.(*net.TCPConn)
	defer up.Close()
	c.SetReadDeadline(time.Time{})
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	if n := br.Buffered(); n > 0 { // bytes the client sent right after its request
		b, _ := br.Peek(n)
		if _, err := up.Write(b); err != nil {
			return
		}
	}
	done := make(chan struct{})
	go func() {
		pipe(up, c)
		close(done)
	}()
	pipe(c, up)
	<-done
}

// pipe copies src to dst and passes the EOF on; on an error it closes both. Each round waits until src is
// readable, then splices exactly what its receive queue holds (FIONREAD): the pipe that splice(2) needs is taken
// from Go's pool only while bytes move, so an idle tunnel holds its two sockets and nothing else (plain io.Copy
// would keep a pipe, two more descriptors, per direction for as long as the tunnel is open).
func pipe(dst, src *net.TCPConn) {
	raw, err := src.SyscallConn()
	if err != nil {
		dst.Close()
		src.Close()
		return
	}
	for {
		avail, err := readable(raw)
		if err == nil && avail == 0 { // EOF
			dst.CloseWrite()
			return
		}
		if err == nil {
			_, err = dst.ReadFrom(&io.LimitedReader{R: src, N: int64(avail)}) // splice(2)
		}
		if err != nil {
			dst.Close()
			src.Close()
			return
		}
	}
}

// readable waits (in Go's poller) until the socket has bytes or an EOF, and says how many bytes it has.
func readable(raw syscall.RawConn) (avail int, err error) {
	var opErr error
	err = raw.Read(func(fd uintptr) bool {
		var one [1]byte
		n, _, e := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if e == syscall.EAGAIN {
			return false // not yet: wait for readability
		}
		if e != nil || n == 0 {
			opErr = e // n == 0: EOF, avail stays 0
			return true
		}
		var queued int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&queued))); e != 0 {
			opErr = e
		}
		avail = int(queued)
		return true
	})
	if err == nil {
		err = opErr
	}
	return avail, err
}
