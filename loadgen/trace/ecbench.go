package trace

import "bytes"

// An ecbench trace line is CSV: the time in seconds, the command, and its
// arguments as the command takes them, except that each value argument
// (a string value, a hash field's value, a list item) is written as its
// size in bytes, since a replay synthesizes values and never sends what
// was stored:
//
//	# time,command,arguments...
//	time,command,args
//	0.000000,SET,user:1,100,EX,30
//	0.000150,GET,user:1
//	0.000900,HSET,profile:7,name,12,avatar,2048
//	0.001200,RPUSH,queue,64,64
//	0.002000,"SET","key, with a comma",10
//
// Times are seconds from any origin (only differences count), with up to
// nine decimals; fields may be quoted as in RFC 4180 ("" for a quote) but
// never span lines. Blank lines, lines starting with # and a header whose
// first field is "time" are passed over. Commands and positions are those
// of CommandNames; any other command is skipped by name.

func parseEcbench(r *Reader, line []byte) (outcome, int, string) {
	if len(line) == 0 || line[0] == '#' {
		return isIgnored, 0, ""
	}
	r.words = r.words[:0]
	for i := 0; ; {
		var w word
		if i < len(line) && line[i] == '"' {
			j := i + 1
			for {
				k := bytes.IndexByte(line[j:], '"')
				if k < 0 {
					return isMalformed, 0, "unterminated quoted field"
				}
				j += k
				if j+1 < len(line) && line[j+1] == '"' { // "" stands for a quote
					j += 2
					continue
				}
				break
			}
			w = word{raw: line[i+1 : j], quoted: true}
			i = j + 1
			if i < len(line) && line[i] != ',' {
				return isMalformed, 0, "want a comma after a quoted field"
			}
		} else {
			j := bytes.IndexByte(line[i:], ',')
			if j < 0 {
				j = len(line) - i
			}
			w = word{raw: line[i : i+j]}
			i += j
		}
		r.words = append(r.words, w)
		if i >= len(line) {
			break
		}
		i++ // the comma
	}
	if bytes.EqualFold(r.words[0].raw, []byte("time")) { // a header
		return isIgnored, 0, ""
	}
	if len(r.words) < 2 {
		return isMalformed, 0, "want time,command[,argument...]"
	}
	t, ok := parseSeconds(r.words[0].raw)
	if !ok {
		return isMalformed, 0, "time: want seconds such as 12.000150, got " + quoteShort(r.words[0].raw)
	}
	// The command's words start at the second field; shifted down rather
	// than resliced, which would lose the slice's capacity line by line.
	r.words = r.words[:copy(r.words, r.words[1:])]
	return r.command(t, unquoteCSV, csvValueSize)
}

// unquoteCSV appends a field's text to dst: a quoted field with its
// doubled quotes undone.
func unquoteCSV(dst []byte, w word) ([]byte, bool) {
	if !w.quoted {
		return append(dst, w.raw...), true
	}
	raw := w.raw
	for {
		k := bytes.Index(raw, []byte(`""`))
		if k < 0 {
			return append(dst, raw...), true
		}
		dst = append(dst, raw[:k+1]...)
		raw = raw[k+2:]
	}
}

// csvValueSize reads a value argument: its size in bytes.
func csvValueSize(w word) (int, string) {
	if len(w.raw) > 16 {
		return 0, "a value is written as its size, a whole number of bytes up to 536870912; got " + quoteShort(w.raw)
	}
	var buf [16]byte
	text, _ := unquoteCSV(buf[:0], w)
	n, ok := parseSize(text)
	if !ok {
		return 0, "a value is written as its size, a whole number of bytes up to 536870912; got " + quoteShort(text)
	}
	return n, ""
}
