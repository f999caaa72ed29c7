// load: the benchmark's client. Every tunnel starts with a real TLS ClientHello (SNI bench.example, made once by
// Go's crypto/tls) followed by one 16-byte command for the origin (see tools/origin). Each subcommand prints one
// JSON object on stdout and exits non-zero if any tunnel failed or moved a wrong number of bytes.
//
//	load bulk    -mode down|up -streams N -bytes TOTAL [-verify] [-pid GW]   throughput, gateway CPU seconds
//	load latency -n N [-pid GW]                                                sequential set-up latency, gateway CPU
//	load rate    -c N -duration D [-pid GW]                                    tunnels per second, gateway CPU seconds
//	load open    -rate R -duration D [-pid GW]                                 open loop: R tunnels/s, set-up p50/p99
//	load tunnels -n N -c C [-pid GW]                                           N tunnels by C clients, gateway CPU
//	load orderly -n N -bytes-each B [-pid GW]                                  N sequential small up/down tunnels
//	load idle    -n N -pid GW                                                  gateway VmRSS idle and with N tunnels
//	load notify  -socket PATH -- CMD ARGS...                                   exec to sd_notify READY=1 (runs on)
//
// Addressing: -target IP:PORT connects straight there (iptables hands it to a gateway), or -proxy IP:PORT
// -connect HOST:PORT speaks CONNECT to the proxy first (the "direct" path).
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const period = 251 // byte i of a stream is i % period (as in tools/origin)

var pattern = func() []byte {
	b := make([]byte, period*4096)
	for i := range b {
		b[i] = byte(i % period)
	}
	return b
}()

var (
	target  = flag.String("target", "", "IP:PORT to connect to (transparent paths)")
	proxy   = flag.String("proxy", "", "IP:PORT of a CONNECT proxy to use instead (direct path)")
	connect = flag.String("connect", "bench.example:443", "what to CONNECT to with -proxy")
	sni     = flag.String("sni", "bench.example", "server name in the ClientHello")
	timeout = flag.Duration("timeout", 60*time.Second, "hard limit for the whole subcommand")
	pid     = flag.Int("pid", 0, "gateway process to read CPU time / VmRSS from")
	clkTck  = flag.Int("clk-tck", 100, "clock ticks per second (getconf CLK_TCK)")
	hello   []byte
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: load bulk|latency|rate|idle|notify [flags]"))
	}
	sub := os.Args[1]
	fs := flag.CommandLine
	mode := fs.String("mode", "down", "bulk: down or up")
	streams := fs.Int("streams", 1, "bulk: parallel streams")
	total := fs.Int64("bytes", 1<<30, "bulk: payload bytes in all (split evenly over the streams)")
	verify := fs.Bool("verify", false, "bulk: check every payload byte, not only the counts")
	n := fs.Int("n", 1000, "latency: tunnels; idle: tunnels held open")
	conc := fs.Int("c", 8, "rate: concurrent clients")
	dur := fs.Duration("duration", 3*time.Second, "rate, open: how long to open tunnels")
	perSec := fs.Float64("rate", 300, "open: tunnels started per second, on a fixed schedule")
	small := fs.Int64("bytes-each", 4096, "orderly: payload bytes of each tunnel")
	sock := fs.String("socket", "", "notify: unix datagram socket path")
	fs.Parse(os.Args[2:])
	if sub != "notify" { // notify keeps its command running: it has its own way to end
		time.AfterFunc(*timeout, func() { fail(fmt.Errorf("%s: not done within -timeout %s", sub, *timeout)) })
	}
	hello = clientHello(*sni)
	var out map[string]any
	var err error
	switch sub {
	case "bulk":
		out, err = bulk(*mode, *streams, *total, *verify)
	case "latency":
		out, err = latency(*n)
	case "rate":
		out, err = rate(*conc, *dur)
	case "open":
		out, err = openLoop(*perSec, *dur)
	case "tunnels":
		out, err = tunnels(*n, *conc)
	case "orderly":
		out, err = orderly(*n, uint64(*small))
	case "idle":
		out, err = idle(*n)
	case "notify":
		err = notify(*sock, fs.Args())
	default:
		err = fmt.Errorf("unknown subcommand %q", sub)
	}
	if out != nil {
		json.NewEncoder(os.Stdout).Encode(out)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "load: %v\n", err)
	os.Exit(1)
}

// clientHello is the first TLS record a real Go client writes for the server name.
func clientHello(name string) []byte {
	a, b := net.Pipe()
	defer b.Close()
	go func() {
		tls.Client(a, &tls.Config{ServerName: name}).Handshake()
		a.Close()
	}()
	rec := make([]byte, 5)
	if _, err := io.ReadFull(b, rec); err != nil {
		fail(err)
	}
	rec = append(rec, make([]byte, int(rec[3])<<8|int(rec[4]))...)
	if _, err := io.ReadFull(b, rec[5:]); err != nil {
		fail(err)
	}
	return rec
}

// request is the ClientHello and the origin's command, sent in one write.
func request(mode byte, verify bool, count uint64) []byte {
	cmd := make([]byte, 16)
	copy(cmd, "SB")
	cmd[2] = mode
	if verify {
		cmd[3] = 1
	}
	binary.BigEndian.PutUint64(cmd[8:], count)
	return append(append([]byte{}, hello...), cmd...)
}

// open connects (and with -proxy, CONNECTs) and sends req.
func open(req []byte) (*net.TCPConn, error) {
	addr := *target
	if *proxy != "" {
		addr = *proxy
	}
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	if *proxy != "" {
		if err := connectVia(tc); err != nil {
			tc.Close()
			return nil, err
		}
	}
	if _, err := tc.Write(req); err != nil {
		tc.Close()
		return nil, err
	}
	return tc, nil
}

func connectVia(c *net.TCPConn) error {
	if _, err := fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", *connect, *connect); err != nil {
		return err
	}
	buf := make([]byte, 0, 256)
	for !bytes.Contains(buf, []byte("\r\n\r\n")) { // the origin sends nothing before our hello: no over-read
		if len(buf) == cap(buf) {
			return errors.New("proxy answer too long")
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		if err != nil {
			return fmt.Errorf("proxy answer: %w", err)
		}
		buf = buf[:len(buf)+n]
	}
	if !bytes.HasPrefix(buf, []byte("HTTP/1.1 200")) || !bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
		return fmt.Errorf("proxy answered %q", buf)
	}
	return nil
}

// pong opens a tunnel for one byte from the origin and returns it open.
func pong() (*net.TCPConn, error) {
	c, err := open(request('P', false, 0))
	if err != nil {
		return nil, err
	}
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != '!' {
		c.Close()
		return nil, fmt.Errorf("first byte: %q %v", b[:], err)
	}
	return c, nil
}

func bulk(mode string, streams int, total int64, verify bool) (map[string]any, error) {
	if mode != "down" && mode != "up" {
		return nil, fmt.Errorf("bulk: -mode down or up, not %q", mode)
	}
	per := uint64(total) / uint64(streams)
	cpu0 := cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	var moved atomic.Uint64
	errs := make(chan error, streams)
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n uint64
			var err error
			if mode == "down" {
				n, err = down(per, verify)
			} else {
				n, err = up(per, verify)
			}
			moved.Add(n)
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpu1 := cpuSeconds()
	close(errs)
	out := map[string]any{"mode": mode, "streams": streams, "bytes": moved.Load(), "expected": per * uint64(streams),
		"secs": secs, "gbit_s": float64(moved.Load()) * 8 / secs / 1e9, "tunnels": streams}
	if *pid != 0 {
		out["cpu_s"] = cpu1 - cpu0
	}
	for err := range errs {
		return out, err
	}
	return out, nil
}

// down reads the origin's stream: exactly want bytes, then EOF.
func down(want uint64, verify bool) (uint64, error) {
	c, err := open(request('D', verify, want))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, 256*1024)
	var got uint64
	for {
		n, err := c.Read(buf)
		if verify && n > 0 {
			off := int(got % period)
			if !bytes.Equal(buf[:n], pattern[off:off+n]) {
				return got, fmt.Errorf("down: payload differs near byte %d", got)
			}
		}
		got += uint64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return got, fmt.Errorf("down: after %d of %d bytes: %w", got, want, err)
		}
	}
	if got != want {
		return got, fmt.Errorf("down: got %d bytes, want %d", got, want)
	}
	return got, nil
}

// up sends want bytes, half-closes, and reads the origin's count (and pattern check) back.
func up(want uint64, verify bool) (uint64, error) {
	c, err := open(request('U', verify, want))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	for left := want; left > 0; {
		n := uint64(len(pattern))
		if left < n {
			n = left
		}
		if _, err := c.Write(pattern[:n]); err != nil {
			return want - left, fmt.Errorf("up: after %d of %d bytes: %w", want-left, want, err)
		}
		left -= n
	}
	if err := c.CloseWrite(); err != nil {
		return want, err
	}
	var ack [9]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return want, fmt.Errorf("up: no answer from the origin: %w", err)
	}
	got := binary.BigEndian.Uint64(ack[:8])
	if got != want || ack[8] != 1 {
		return got, fmt.Errorf("up: origin received %d bytes (want %d), pattern ok %v", got, want, ack[8] == 1)
	}
	if n, _ := c.Read(ack[:]); n != 0 {
		return got, errors.New("up: bytes after the answer")
	}
	return got, nil
}

func latency(n int) (map[string]any, error) {
	s0, cpu0 := sockets(), cpuSeconds()
	ms := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		c, err := pong()
		if err != nil {
			return map[string]any{"tunnels": i}, fmt.Errorf("latency: tunnel %d: %w", i, err)
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
		c.Close()
	}
	cpu1 := cpuAfter(s0)
	sort.Float64s(ms)
	q := func(p float64) float64 { return ms[int(p*float64(len(ms)-1)+0.5)] }
	out := map[string]any{"n": n, "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": ms[len(ms)-1], "tunnels": n}
	if *pid != 0 {
		out["cpu_s"] = cpu1 - cpu0
	}
	return out, nil
}

func rate(conc int, dur time.Duration) (map[string]any, error) {
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	s0, cpu0 := sockets(), cpuSeconds()
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				c, err := pong()
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				c.Close()
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpu1 := cpuAfter(s0)
	out := map[string]any{"c": conc, "secs": secs, "tunnels": ok.Load(), "errors": bad.Load(),
		"per_s": float64(ok.Load()) / secs}
	if *pid != 0 {
		out["cpu_s"] = cpu1 - cpu0
	}
	if bad.Load() > 0 {
		return out, fmt.Errorf("rate: %d tunnels failed, first: %v", bad.Load(), firstErr.Load())
	}
	return out, nil
}

// openLoop starts tunnels on a fixed schedule, rate per second for dur, each in its own goroutine: the schedule
// never waits for earlier tunnels (open loop). A tunnel's set-up time runs from its scheduled start to the origin's
// first byte, so a gateway that stalls, or a launcher that falls behind, shows up as latency (no coordinated
// omission). lag_max_ms is how far behind its schedule the launcher started a tunnel at worst.
func openLoop(rate float64, dur time.Duration) (map[string]any, error) {
	if rate <= 0 {
		return nil, errors.New("open: -rate must be positive")
	}
	n := int(rate*dur.Seconds() + 0.5)
	if n < 1 {
		return nil, errors.New("open: -rate × -duration is less than one tunnel")
	}
	every := time.Duration(float64(time.Second) / rate)
	ms := make([]float64, n)
	var bad atomic.Int64
	var firstErr atomic.Value
	var lag time.Duration
	s0, cpu0 := sockets(), cpuSeconds()
	start := time.Now().Add(5 * time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * every)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		} else if -d > lag {
			lag = -d
		}
		wg.Add(1)
		go func(i int, at time.Time) {
			defer wg.Done()
			c, err := pong()
			if err != nil {
				bad.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				ms[i] = -1
				return
			}
			ms[i] = float64(time.Since(at).Microseconds()) / 1000
			c.Close()
		}(i, at)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpu1 := cpuAfter(s0)
	okMs := ms[:0]
	for _, m := range ms {
		if m >= 0 {
			okMs = append(okMs, m)
		}
	}
	out := map[string]any{"rate": rate, "n": n, "secs": secs, "tunnels": len(okMs), "errors": bad.Load(),
		"lag_max_ms": float64(lag.Microseconds()) / 1000}
	if len(okMs) > 0 {
		sort.Float64s(okMs)
		q := func(p float64) float64 { return okMs[int(p*float64(len(okMs)-1)+0.5)] }
		out["p50_ms"], out["p99_ms"], out["max_ms"] = q(0.50), q(0.99), okMs[len(okMs)-1]
	}
	if *pid != 0 {
		out["cpu_s"] = cpu1 - cpu0
	}
	if bad.Load() > 0 {
		return out, fmt.Errorf("open: %d of %d tunnels failed, first: %v", bad.Load(), n, firstErr.Load())
	}
	return out, nil
}

// tunnels makes exactly n tunnels (connect, ClientHello, first byte back, close) with conc clients, and reads the
// gateway's CPU before the first and after the gateway has closed the last (the cold figures of a fresh gateway).
func tunnels(n, conc int) (map[string]any, error) {
	var next, ok atomic.Int64
	var firstErr atomic.Value
	s0, cpu0 := sockets(), cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				c, err := pong()
				if err != nil {
					firstErr.CompareAndSwap(nil, fmt.Sprintf("tunnel %d: %v", i, err))
					return
				}
				c.Close()
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	cpu1 := cpuAfter(s0)
	out := map[string]any{"n": n, "c": conc, "secs": secs, "tunnels": ok.Load()}
	if *pid != 0 {
		out["cpu_s"] = cpu1 - cpu0
	}
	if e := firstErr.Load(); e != nil {
		return out, fmt.Errorf("tunnels: %d of %d made, %v", ok.Load(), n, e)
	}
	return out, nil
}

// orderly makes n tunnels one after the other, each a normal one with a small payload that ends in order: even ones
// send each bytes up and half-close, then read the origin's answer and EOF; odd ones read each bytes down and the
// origin's half-close. t0_ns and t1_ns (Unix time) bound the phase, up to when the gateway holds no more sockets
// than before it: bench/run counts the gateway's exceptions constructed in between.
func orderly(n int, each uint64) (map[string]any, error) {
	s0 := sockets()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		var err error
		if i%2 == 0 {
			_, err = up(each, true)
		} else {
			_, err = down(each, true)
		}
		if err != nil {
			return map[string]any{"tunnels": i}, fmt.Errorf("orderly: tunnel %d: %w", i, err)
		}
	}
	cpuAfter(s0)
	t1 := time.Now()
	return map[string]any{"n": n, "bytes_each": each, "tunnels": n, "t0_ns": t0.UnixNano(), "t1_ns": t1.UnixNano(),
		"secs": t1.Sub(t0).Seconds()}, nil
}

// idle opens n tunnels (each proven end to end by the origin's byte) and holds them while it reads the
// gateway's VmRSS; idle is read before the first one.
func idle(n int) (map[string]any, error) {
	if *pid == 0 {
		return nil, errors.New("idle: -pid is required")
	}
	rss0 := rssKiB()
	conns := make([]*net.TCPConn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var next, opened atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				c, err := pong()
				if err != nil {
					errs <- fmt.Errorf("idle: tunnel %d: %w", i, err)
					return
				}
				conns[i] = c
				opened.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return map[string]any{"tunnels": opened.Load()}, err
	}
	// the gateway has seen every tunnel's first byte go back; give it a moment to finish what it does after
	var rss1 int64
	for i := 0; i < 5; i++ {
		time.Sleep(200 * time.Millisecond)
		if r := rssKiB(); r > rss1 {
			rss1 = r
		}
	}
	return map[string]any{"n": n, "rss_idle_kib": rss0, "rss_open_kib": rss1, "tunnels": n}, nil
}

// notify runs argv with NOTIFY_SOCKET set, times exec to the READY=1 datagram and prints {"ready_ms", "pid"} at
// once. The command then goes on running until notify gets SIGTERM or SIGINT (or -timeout passes): it passes the
// SIGTERM on, waits up to 15 s for the command to exit, then kills it.
func notify(path string, argv []string) error {
	if path == "" || len(argv) == 0 {
		return errors.New("notify: -socket PATH -- CMD ARGS...")
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	os.Remove(path)
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer sock.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	exited := make(chan error, 1)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { exited <- cmd.Wait() }()
	ready := make(chan time.Duration, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := sock.ReadFromUnix(buf)
			if err != nil {
				return
			}
			for _, l := range strings.Split(string(buf[:n]), "\n") {
				if l == "READY=1" {
					ready <- time.Since(t0)
				}
			}
		}
	}()
	limit := time.After(*timeout)
	select {
	case d := <-ready:
		json.NewEncoder(os.Stdout).Encode(map[string]any{"ready_ms": float64(d.Microseconds()) / 1000,
			"pid": cmd.Process.Pid})
		select {
		case <-stop:
		case <-limit:
			err = fmt.Errorf("notify: stopped %s after -timeout %s", argv[0], *timeout)
		case err := <-exited:
			return fmt.Errorf("notify: %s exited: %v", argv[0], err)
		}
	case err := <-exited:
		return fmt.Errorf("notify: %s exited before READY=1: %v", argv[0], err)
	case <-time.After(30 * time.Second):
		err = errors.New("notify: no READY=1 within 30 s")
	case <-stop:
		err = errors.New("notify: stopped before READY=1")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	return err
}

// cpuSeconds is utime+stime (fields 14 and 15 of /proc/PID/stat) of the gateway process, all threads.
func cpuSeconds() float64 {
	if *pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *pid))
	if err != nil {
		fail(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:])) // f[0] is field 3
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return float64(ut+st) / float64(*clkTck)
}

// sockets is how many sockets the gateway process holds open (0 without -pid).
func sockets() int {
	if *pid == 0 {
		return 0
	}
	dir := fmt.Sprintf("/proc/%d/fd", *pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, fd := range fds {
		if l, err := os.Readlink(dir + "/" + fd.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// cpuAfter waits (5 s at most) until the gateway holds no more sockets than it held before the tunnels (s0, give
// or take 2, as bench/run's settle), so that closing them is counted too, then reads its CPU seconds.
func cpuAfter(s0 int) float64 {
	deadline := time.Now().Add(5 * time.Second)
	for *pid != 0 && sockets() > s0+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return cpuSeconds()
}

func rssKiB() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		fail(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	fail(fmt.Errorf("no VmRSS for pid %d", *pid))
	return 0
}
