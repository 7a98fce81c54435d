package resp_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/resp"
)

// BenchmarkReadReply reads the replies of the closed-loop benchmark's
// GET/SET mix (a 32-byte value, +OK) and of an MGET of four keys, from
// memory: the reader's own cost, 0 allocations per reply.
func BenchmarkReadReply(b *testing.B) {
	for _, tc := range []struct{ name, reply string }{
		{"status", "+OK\r\n"},
		{"bulk32", "$32\r\n" + strings.Repeat("v", 32) + "\r\n"},
		{"nil", "$-1\r\n"},
		{"int", ":12345\r\n"},
		{"mget4", "*4\r\n$32\r\n" + strings.Repeat("v", 32) + "\r\n$-1\r\n$-1\r\n$32\r\n" + strings.Repeat("v", 32) + "\r\n"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			stream := strings.Repeat(tc.reply, 1024)
			src := strings.NewReader(stream)
			r := bufio.NewReaderSize(src, 32<<10)
			var rep resp.Reply
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.reply)))
			for i := 0; b.Loop(); i++ {
				if i%1024 == 0 {
					src.Reset(stream)
					r.Reset(src)
				}
				if err := resp.ReadReply(r, &rep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendCommand writes a SET of a 32-byte value into a reused
// buffer: 0 allocations per command.
func BenchmarkAppendCommand(b *testing.B) {
	buf := make([]byte, 0, 256)
	value := []byte(strings.Repeat("v", 32))
	b.ReportAllocs()
	for b.Loop() {
		buf = resp.AppendArray(buf[:0], 3)
		buf = resp.AppendString(buf, "set")
		buf = resp.AppendString(buf, "key:000123")
		buf = resp.AppendBytes(buf, value)
	}
}
