package workload

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/keyspace"
)

// Preload batching, bounded in bytes before anything is sent: a
// structure's elements go in as many variadic commands as keep each one's
// payload within PreloadBytes (and at most preloadChunk elements), and a
// pipeline is sent before the next command would take it past
// PreloadBytes or preloadBatch commands. So neither a command nor a
// pipeline grows with Elements × ElementSize: 1,024 hash fields of 1 MiB
// go in 1,024 commands, not one HSET of 1 GiB that the server refuses
// (client-query-buffer-limit, proto-max-bulk-len). Only a single value or
// element larger than PreloadBytes is sent alone, whole.
const (
	// PreloadBytes bounds the payload of one preload command and of one
	// pipeline of them.
	PreloadBytes = 1 << 20
	preloadChunk = 1024
	preloadBatch = 256
)

// Preload fills every structure of w so that reads hit: a kv workload gets
// every key SET once to a value drawn as the stream draws them; the other
// kinds get each structure deleted (whatever it held, of whatever type) and
// then filled with all Elements elements, so that it holds exactly Elements:
//
//	list  RPUSH   Elements items of ElementSize bytes
//	hash  HSET    fields f:<0..Elements-1>, values of ElementSize bytes
//	set   SADD    members m:<0..Elements-1>
//	zset  ZADD    members m:<i> with score i
//
// hincrby's counter fields and incr's counter keys are not preloaded: they
// start at 0 on first use.
//
// The data depends only on w (prefix, count, structure or values, seed), so
// both engines get the same. Commands go out in pipelines of a bounded size,
// one after the other, on c (a *redis.Client, or a *redis.ClusterClient,
// whose pipelines go to each node). progress, when not nil, is called after
// each pipeline with how many keys are done, and last with (total, total).
// Preload stops at the first failed command or when ctx is done.
func (w *Workload) Preload(ctx context.Context, c redis.UniversalClient, progress func(done, total int64)) error {
	s := w.Structure.normalized()
	if err := s.validate(); err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	if w.Keys.Count == 0 {
		return errors.New("preload: key count must be > 0")
	}
	values, err := newValues(w, s)
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	members, fields, _ := universes(s)
	p := &preloader{pipe: c.Pipeline(), total: int64(w.Keys.Count), progress: progress}
	elemBytes := s.largestElement()
	if members != nil {
		elemBytes = members.size
	} else if fields != nil {
		elemBytes += fields.size
	}
	perCommand := preloadPerCommand(elemBytes)
	var (
		keyBuf []byte
		args   []any
		zs     []redis.Z
	)
	for i := range w.Keys.Count {
		keyBuf = keyspace.AppendKey(keyBuf[:0], w.Keys.Prefix, i)
		key := string(keyBuf)
		if s.Kind == KindKV {
			v := values.Next()
			if err := p.room(ctx, len(key)+len(v)); err != nil {
				return err
			}
			p.pipe.Set(ctx, key, v, 0)
			p.queued(len(key)+len(v), true)
			continue
		}
		if err := p.room(ctx, len(key)); err != nil {
			return err
		}
		p.pipe.Del(ctx, key)
		p.queued(len(key), false)
		for lo := 0; lo < s.Elements; lo += perCommand {
			hi := min(lo+perCommand, s.Elements)
			n := len(key) + (hi-lo)*(elemBytes+ItemOverhead)
			if err := p.room(ctx, n); err != nil {
				return err
			}
			args, zs = args[:0], zs[:0]
			switch s.Kind {
			case KindList:
				for range hi - lo {
					args = append(args, values.Next())
				}
				p.pipe.RPush(ctx, key, args...)
			case KindHash:
				for j := lo; j < hi; j++ {
					args = append(args, fields.name(j), values.Next())
				}
				p.pipe.HSet(ctx, key, args...)
			case KindSet:
				for j := lo; j < hi; j++ {
					args = append(args, members.name(j))
				}
				p.pipe.SAdd(ctx, key, args...)
			case KindZSet:
				for j := lo; j < hi; j++ {
					zs = append(zs, redis.Z{Score: float64(j), Member: members.name(j)})
				}
				p.pipe.ZAdd(ctx, key, zs...)
			}
			p.queued(n, hi == s.Elements)
		}
	}
	return p.flush(ctx)
}

// preloadPerCommand is how many elements of elemBytes bytes one preload
// command carries: as many as fit in PreloadBytes, at least one and at most
// preloadChunk.
func preloadPerCommand(elemBytes int) int {
	return min(max(PreloadBytes/(elemBytes+ItemOverhead), 1), preloadChunk)
}

// preloader sends Preload's pipelines.
type preloader struct {
	pipe     redis.Pipeliner
	sizes    []int // payload bytes of each queued command, in order
	bytes    int   // payload queued on pipe
	done     int64 // keys whose every command is queued or sent
	reported int64
	total    int64
	progress func(done, total int64)
}

// room sends the pipeline if a command of n more bytes would take it past
// PreloadBytes or preloadBatch commands. A command larger than PreloadBytes
// goes alone.
func (p *preloader) room(ctx context.Context, n int) error {
	if len(p.sizes) == 0 || len(p.sizes) < preloadBatch && p.bytes+n <= PreloadBytes {
		return nil
	}
	return p.flush(ctx)
}

// queued accounts for the command of about n bytes just queued, the last
// of its key when last.
func (p *preloader) queued(n int, last bool) {
	p.sizes = append(p.sizes, n)
	p.bytes += n
	if last {
		p.done++
	}
}

// flush sends the queued commands and reports progress.
func (p *preloader) flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		p.pipe.Discard()
		return fmt.Errorf("preload: %w", err)
	}
	if len(p.sizes) == 0 {
		return nil
	}
	cmds, _ := p.pipe.Exec(ctx)
	sizes, bytes := p.sizes, p.bytes
	p.sizes, p.bytes = p.sizes[:0], 0
	if err := preloadFailure(cmds, sizes, bytes); err != nil {
		return err
	}
	if p.progress != nil && p.done > p.reported {
		p.progress(p.done, p.total)
		p.reported = p.done
	}
	return nil
}

// preloadFailure names the command of a sent pipeline that failed, by its
// name and key, never its values. The server's refusal of a command (OOM,
// a protocol error) comes back as that command's reply. A failure without
// a reply (the connection broke, a timeout) is given to every command not
// yet answered, the DEL that opens a structure's commands included, so it
// is blamed on the largest of them, the likeliest cause, with the
// pipeline's size.
func preloadFailure(cmds []redis.Cmder, sizes []int, bytes int) error {
	var (
		noReply error
		largest = -1
	)
	for i, cmd := range cmds {
		err := cmd.Err()
		if err == nil {
			continue
		}
		var reply redis.Error
		if errors.As(err, &reply) {
			return fmt.Errorf("preload: %s %v: %w", cmd.Name(), cmd.Args()[1], err)
		}
		if noReply == nil {
			noReply = err
		}
		if i < len(sizes) && (largest < 0 || sizes[i] > sizes[largest]) {
			largest = i
		}
	}
	if noReply == nil {
		return nil
	}
	if largest < 0 {
		return fmt.Errorf("preload: %w", noReply)
	}
	cmd := cmds[largest]
	if len(cmds) == 1 {
		return fmt.Errorf("preload: %s %v (%d bytes) got no reply: %w", cmd.Name(), cmd.Args()[1], sizes[largest], noReply)
	}
	return fmt.Errorf("preload: %s %v (%d bytes, the largest of %d commands of %d bytes sent together) got no reply: %w",
		cmd.Name(), cmd.Args()[1], sizes[largest], len(cmds), bytes, noReply)
}
