package resp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// goRedisExchange sends args with go-redis' Do to a scripted peer that
// answers with reply (raw RESP bytes), and returns the bytes go-redis
// wrote for the command and what Do returned. It is the reference the
// package is held to: what go-redis writes for the same words, and how
// it reads the same reply. The peer answers go-redis' HELLO with an
// error, as a server without HELLO would, so that no other command comes
// first (identity off: no CLIENT SETINFO).
func goRedisExchange(t *testing.T, reply string, args ...any) (sent []byte, val any, err error) {
	t.Helper()
	client, server := net.Pipe()
	c := redis.NewClient(&redis.Options{
		Addr: "pipe", Protocol: 2, MaxRetries: -1, DisableIdentity: true, PoolSize: 1,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		Dialer:                   func(context.Context, string, string) (net.Conn, error) { return client, nil },
	})
	defer c.Close()
	got := make(chan []byte, 1)
	go func() {
		defer server.Close()
		r := bufio.NewReader(server)
		if _, err := readCommand(r); err != nil { // HELLO
			got <- nil
			return
		}
		if _, err := io.WriteString(server, "-ERR unknown command 'hello'\r\n"); err != nil {
			got <- nil
			return
		}
		cmd, err := readCommand(r)
		if err != nil {
			got <- nil
			return
		}
		_, _ = io.WriteString(server, reply)
		got <- cmd
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := c.Do(ctx, args...)
	sent = <-got
	if sent == nil {
		t.Fatalf("the scripted peer did not get go-redis' command %v", args)
	}
	return sent, cmd.Val(), cmd.Err()
}

// readCommand reads one command (an array of bulk strings) and returns
// its bytes as written.
func readCommand(r *bufio.Reader) ([]byte, error) {
	var raw bytes.Buffer
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	raw.WriteString(line)
	if len(line) < 4 || line[0] != '*' {
		return nil, fmt.Errorf("not a command: %q", line)
	}
	n, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil {
		return nil, err
	}
	for range n {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		raw.WriteString(line)
		size, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil || line[0] != '$' {
			return nil, fmt.Errorf("not a bulk string: %q", line)
		}
		word := make([]byte, size+2)
		if _, err := io.ReadFull(r, word); err != nil {
			return nil, err
		}
		raw.Write(word)
	}
	return raw.Bytes(), nil
}
