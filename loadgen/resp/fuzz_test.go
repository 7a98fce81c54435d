package resp_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ecbench/ecbench/loadgen/resp"
)

// FuzzReadReply feeds any bytes, through buffers of any size, to the
// reader: it must never panic, must end in the reader's own error (EOF
// or a cut) or a protocol error, never loop, and every reply it gives
// must be well formed. A stream of replies written back by a reference
// encoder must read as the same kinds.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"*2\r\n$-1\r\n$-1\r\n", "*3\r\n*2\r\n$1\r\na\r\n*1\r\n:5\r\n$-1\r\n*0\r\n",
		"*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "$9999999999\r\n", "*-2\r\n", ":-9223372036854775808\r\n",
		"+" + strings.Repeat("s", 40) + "\r\n", "-" + strings.Repeat("e", 40) + "\r\n",
		"%2\r\n", "_\r\n", "$2\r\nabc\r\n", "\r\n", "+OK\n",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s+s), uint8(200))
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 16+int(size))
		var rep resp.Reply
		for n := 0; ; n++ {
			if n > len(data) { // every reply is at least 3 bytes
				t.Fatalf("%d replies from %d bytes", n, len(data))
			}
			err := resp.ReadReply(r, &rep)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, resp.ErrProtocol) {
					t.Fatalf("error %v is neither the input's end nor a protocol error", err)
				}
				return
			}
			checkReply(t, &rep)
		}
	})
}

func checkReply(t *testing.T, rep *resp.Reply) {
	t.Helper()
	switch rep.Kind {
	case resp.KindError:
		var e resp.Error
		if !errors.As(rep.Err, &e) || len(e) > resp.MaxErrorLen {
			t.Fatalf("error reply %+v", rep)
		}
	case resp.KindStatus, resp.KindInt, resp.KindNil:
		if rep.Len != 0 || rep.Err != nil {
			t.Fatalf("reply %+v", rep)
		}
	case resp.KindBulk:
		if rep.Len < 0 || rep.Len > resp.MaxBulkLen || rep.Err != nil {
			t.Fatalf("bulk %+v", rep)
		}
	case resp.KindArray:
		if rep.Len < 0 || rep.Err != nil || rep.Len == 0 && !rep.AllNil {
			t.Fatalf("array %+v", rep)
		}
	default:
		t.Fatalf("reply of kind %v", rep.Kind)
	}
}
