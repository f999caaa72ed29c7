// origin: the benchmark's server. It reads the client's TLS ClientHello (the 5-byte record header and the record
// body) and then speaks raw TCP, so that no TLS cost hides the cost of the relay in front of it.
//
// After the hello the client sends one 16-byte command:
//
//	bytes 0-1  "SB"
//	byte  2    mode: 'D' stream COUNT bytes down, then half-close
//	                 'U' sink bytes up until the client half-closes, then answer COUNT_RECEIVED (8 bytes) + OK (1)
//	                 'P' answer one byte at once (tunnel set-up latency and rate; idle tunnels)
//	byte  3    flags: bit 0 = verify the payload pattern (byte i of a stream is i % 251)
//	bytes 4-7  reserved
//	bytes 8-15 COUNT, big-endian
//
// In every mode the origin then waits for the client's EOF and closes.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"io"
	"log"
	"net"
	"time"
)

const period = 251

// pattern is period*4096 bytes of the stream pattern: any whole-buffer write keeps the stream's offset aligned.
var pattern = func() []byte {
	b := make([]byte, period*4096)
	for i := range b {
		b[i] = byte(i % period)
	}
	return b
}()

func main() {
	listen := flag.String("listen", ":443", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("origin listening on %s", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err) // EMFILE and the like: back off a little, never spin
			time.Sleep(20 * time.Millisecond)
			continue
		}
		go serve(c.(*net.TCPConn))
	}
}

func serve(c *net.TCPConn) {
	defer c.Close()
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 0x16 {
		return
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c, body); err != nil {
		return
	}
	var cmd [16]byte
	if _, err := io.ReadFull(c, cmd[:]); err != nil || cmd[0] != 'S' || cmd[1] != 'B' {
		log.Printf("%s: no command after the ClientHello", c.RemoteAddr())
		return
	}
	verify := cmd[3]&1 != 0
	count := binary.BigEndian.Uint64(cmd[8:])
	switch cmd[2] {
	case 'P':
		if _, err := c.Write([]byte{'!'}); err != nil {
			return
		}
	case 'D':
		for left := count; left > 0; {
			n := uint64(len(pattern))
			if left < n {
				n = left
			}
			if _, err := c.Write(pattern[:n]); err != nil {
				return
			}
			left -= n
		}
		c.CloseWrite()
	case 'U':
		got, ok := sink(c, verify)
		var ack [9]byte
		binary.BigEndian.PutUint64(ack[:8], got)
		if ok && got == count {
			ack[8] = 1
		}
		c.Write(ack[:])
		return
	default:
		return
	}
	io.Copy(io.Discard, c) // until the client's EOF
}

// sink reads until EOF; ok is false when a byte differs from the pattern (only checked with verify).
func sink(c *net.TCPConn, verify bool) (uint64, bool) {
	buf := make([]byte, 256*1024)
	var got uint64
	ok := true
	for {
		n, err := c.Read(buf)
		if verify && ok && n > 0 {
			off := int(got % period)
			ok = bytes.Equal(buf[:n], pattern[off:off+n])
		}
		got += uint64(n)
		if err != nil {
			return got, ok && err == io.EOF
		}
	}
}
