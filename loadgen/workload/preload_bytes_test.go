package workload_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/internal/servertest"
	"github.com/ecbench/ecbench/loadgen/result"
	"github.com/ecbench/ecbench/loadgen/workload"
)

// sentBytes records the payload of every command and pipeline a client
// sends: the bytes of its arguments after the command name.
type sentBytes struct {
	mu        sync.Mutex
	commands  []int
	pipelines []int
}

func (s *sentBytes) DialHook(next redis.DialHook) redis.DialHook { return next }
func (s *sentBytes) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		s.record(cmd)
		return next(ctx, cmd)
	}
}

func (s *sentBytes) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		s.record(cmds...)
		return next(ctx, cmds)
	}
}

func (s *sentBytes) record(cmds ...redis.Cmder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for _, cmd := range cmds {
		n := 0
		for _, a := range cmd.Args()[1:] {
			switch a := a.(type) {
			case string:
				n += len(a)
			case []byte:
				n += len(a)
			default:
				n += len(fmt.Sprint(a))
			}
		}
		s.commands = append(s.commands, n)
		total += n
	}
	s.pipelines = append(s.pipelines, total)
}

// TestPreloadBoundedInBytes preloads structures of several MiB each and
// checks what went out: no command and no pipeline of more than
// PreloadBytes (a key's name aside), and the structures complete.
func TestPreloadBoundedInBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    workload.Structure
		// wantCommands is the least number of element commands: the
		// elements do not fit in fewer of PreloadBytes.
		wantCommands int
	}{
		// 4 MiB per hash: once one HSET of it all.
		{"hash of 200 fields of 20 KiB", workload.Structure{Kind: workload.KindHash, Elements: 200, ElementSize: 20 << 10}, 2 * 4},
		{"list of 64 items of 64 KiB", workload.Structure{Kind: workload.KindList, Elements: 64, ElementSize: 64 << 10}, 2 * 4},
		{"set of 3000 members of 1 KiB", workload.Structure{Kind: workload.KindSet, Elements: 3000, ElementSize: 1 << 10}, 2 * 3},
		{"zset of 1000 members of 4 KiB", workload.Structure{Kind: workload.KindZSet, Elements: 1000, ElementSize: 4 << 10}, 2 * 4},
		// An element over PreloadBytes goes alone, whole.
		{"list of 3 items of 1.5 MiB", workload.Structure{Kind: workload.KindList, Elements: 3, ElementSize: 3 << 19}, 2 * 3},
	}
	const slack = 64 // the key's name, which is not payload
	srv := servertest.Start(t, servertest.Valkey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := srv.Client()
			sent := &sentBytes{}
			c.AddHook(sent)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			w := structureWorkload(t, tt.s, "bytes:"+tt.name+":", 2, 1, 1, workload.OpNamesFor(tt.s.Kind)[0])
			if err := w.Preload(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			if err := checkPreloaded(ctx, c, w); err != nil {
				t.Fatal(err)
			}
			sent.mu.Lock()
			defer sent.mu.Unlock()
			largestElement := tt.s.ElementSize + 16
			elementCommands := 0
			for _, n := range sent.commands {
				if n > workload.PreloadBytes+slack && n > largestElement+slack {
					t.Errorf("a command of %d bytes, more than PreloadBytes %d", n, workload.PreloadBytes)
				}
				if n > slack {
					elementCommands++
				}
			}
			for _, n := range sent.pipelines {
				if n > workload.PreloadBytes+slack && n > largestElement+2*slack {
					t.Errorf("a pipeline of %d bytes, more than PreloadBytes %d", n, workload.PreloadBytes)
				}
			}
			if elementCommands < tt.wantCommands {
				t.Errorf("%d commands carried elements, want at least %d", elementCommands, tt.wantCommands)
			}
		})
	}
}

// TestPreloadNamesFailedCommand makes the server refuse a preload command
// and checks that the error names it, and not the DEL sent before it in
// the same pipeline: an element over the server's proto-max-bulk-len
// (refused with a protocol error, and the connection closed), and a
// structure over maxmemory (OOM).
func TestPreloadNamesFailedCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		directives []string
		s          workload.Structure
		wantPrefix string       // the error's start
		wantClass  result.Class // ClassNone: any
	}{
		{"element over proto-max-bulk-len", []string{"proto-max-bulk-len", "1mb"},
			workload.Structure{Kind: workload.KindHash, Elements: 2, ElementSize: 2 << 20}, "preload: hset big:", result.ClassNone},
		{"structure over maxmemory", []string{"maxmemory", "2mb"},
			workload.Structure{Kind: workload.KindList, Elements: 300, ElementSize: 16 << 10}, "preload: rpush big:", result.ClassOOM},
	}
	for _, e := range servertest.Engines {
		for _, tt := range tests {
			t.Run(string(e)+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				c := servertest.Start(t, e, tt.directives...).Client()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				w := structureWorkload(t, tt.s, "big:", 4, 1, 1, workload.OpNamesFor(tt.s.Kind)[0])
				err := w.Preload(ctx, c, nil)
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantPrefix) {
					t.Fatalf("Preload: %v, want an error starting %q", err, tt.wantPrefix)
				}
				t.Log(err)
				if strings.Contains(err.Error(), "del ") {
					t.Errorf("Preload: %v blames the DEL", err)
				}
				if tt.wantClass != result.ClassNone && result.Classify(err) != tt.wantClass {
					t.Errorf("Preload: %v of class %v, want %v", err, result.Classify(err), tt.wantClass)
				}
			})
		}
	}
}
