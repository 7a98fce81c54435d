package trace

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// Source is a trace file to replay: its path and format, and the longest
// line its Readers take (MaxLineFor the largest value; 0: MinMaxLine). A
// file compressed with gzip is read through it, whatever its name.
type Source struct {
	Path    string
	Format  Format
	MaxLine int
}

// File is a Reader of a Source's file, which it can rewind to the first
// line (a replay that loops) and must close.
type File struct {
	*Reader
	f  *os.File
	gz *gzip.Reader // nil: not compressed
}

// Open opens the source for reading from its first line; obs (may be nil)
// learns of the lines the reader passes over.
func (s Source) Open(obs Observer) (*File, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, err
	}
	file := &File{f: f}
	in, err := file.input()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	file.Reader, err = NewReader(in, s.Format, s.MaxLine, obs)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return file, nil
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// input returns what to read the file through, from its start: the file,
// or a gzip reader of it.
func (f *File) input() (io.Reader, error) {
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	head := make([]byte, len(gzipMagic))
	n, err := io.ReadFull(f.f, head)
	if _, serr := f.f.Seek(0, io.SeekStart); serr != nil {
		return nil, serr
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if n < len(gzipMagic) || head[0] != gzipMagic[0] || head[1] != gzipMagic[1] {
		return f.f, nil
	}
	br := bufio.NewReaderSize(f.f, bufferSize)
	if f.gz == nil {
		f.gz, err = gzip.NewReader(br)
	} else {
		err = f.gz.Reset(br)
	}
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return f.gz, nil
}

// Rewind starts the file over at its first line.
func (f *File) Rewind() error {
	in, err := f.input()
	if err != nil {
		return err
	}
	f.reset(in)
	return nil
}

// Close closes the file.
func (f *File) Close() error {
	if f.gz != nil {
		_ = f.gz.Close()
	}
	return f.f.Close()
}
