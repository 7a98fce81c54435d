package workload

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/ecbench/ecbench/loadgen/keyspace"
)

// Preload batching: a structure's elements go in variadic commands of at
// most preloadChunk elements, and a pipeline is sent once it holds
// preloadBatch commands or about preloadBytes of payload, so that neither a
// command nor a pipeline grows with Elements × ElementSize.
const (
	preloadChunk = 1024
	preloadBatch = 256
	preloadBytes = 4 << 20
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
	elemBytes := s.ElementSize
	if members != nil {
		elemBytes = members.size
	} else if fields != nil {
		elemBytes += fields.size
	}
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
			p.pipe.Set(ctx, key, v, 0)
			if err := p.queued(ctx, len(key)+len(v), true); err != nil {
				return err
			}
			continue
		}
		p.pipe.Del(ctx, key)
		if err := p.queued(ctx, len(key), false); err != nil {
			return err
		}
		for lo := 0; lo < s.Elements; lo += preloadChunk {
			hi := min(lo+preloadChunk, s.Elements)
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
			if err := p.queued(ctx, (hi-lo)*elemBytes, hi == s.Elements); err != nil {
				return err
			}
		}
	}
	return p.flush(ctx)
}

// preloader sends Preload's pipelines.
type preloader struct {
	pipe     redis.Pipeliner
	bytes    int   // payload queued on pipe
	done     int64 // keys whose every command is queued or sent
	reported int64
	total    int64
	progress func(done, total int64)
}

// queued accounts for a command of about n bytes just queued, the last of
// its key when last, and sends the pipeline when it is full.
func (p *preloader) queued(ctx context.Context, n int, last bool) error {
	p.bytes += n
	if last {
		p.done++
	}
	if p.pipe.Len() < preloadBatch && p.bytes < preloadBytes {
		return nil
	}
	return p.flush(ctx)
}

// flush sends the queued commands and reports progress.
func (p *preloader) flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		p.pipe.Discard()
		return fmt.Errorf("preload: %w", err)
	}
	cmds, _ := p.pipe.Exec(ctx)
	p.bytes = 0
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			// The key, never the values.
			return fmt.Errorf("preload: %s %v: %w", cmd.Name(), cmd.Args()[1], err)
		}
	}
	if p.progress != nil && p.done > p.reported {
		p.progress(p.done, p.total)
		p.reported = p.done
	}
	return nil
}
