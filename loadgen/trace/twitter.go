package trace

import "bytes"

// A Twitter cache-trace line (github.com/twitter/cache-trace) is seven
// comma-separated fields:
//
//	timestamp,anonymized key,key size,value size,client id,operation,TTL
//	0,q:q:1:8WTfjZU,24,0,12,get,0
//	1,nz:u:eeW511W3dcH3de3d15ec,20,96,4,set,3600
//
// The timestamp is in whole seconds, TTL in seconds (0: none). The key may
// hold commas: the fields are found from both ends. The memcached
// operations become Redis commands on the same key:
//
//	get, gets        GET key
//	set              SET key <value size bytes> [EX ttl]
//	add              SET key <value> NX [EX ttl]     (only if absent, as add)
//	replace          SET key <value> XX [EX ttl]     (only if present, as replace)
//	cas              SET key <value> XX [EX ttl]     (Redis has no compare-and-swap token; XX keeps "the item exists")
//	append, prepend  APPEND key <value size bytes>   (Redis has no prepend; the server writes as many bytes)
//	delete           DEL key
//	incr, decr       INCR key, DECR key              (the trace has no delta)
//	touch            EXPIRE key ttl, or PERSIST key for a TTL of 0
//	gat, gats        GETEX key EX ttl, or GETEX key PERSIST for 0
//
// Any other operation is skipped, counted as "other".

var (
	cmdGet, cmdSet, cmdAppend, cmdDel = commandIndex["get"], commandIndex["set"], commandIndex["append"], commandIndex["del"]
	cmdIncr, cmdDecr, cmdExpire       = commandIndex["incr"], commandIndex["decr"], commandIndex["expire"]
	cmdPersist, cmdGetEx              = commandIndex["persist"], commandIndex["getex"]

	litNX, litXX, litEX, litPersist = []byte("NX"), []byte("XX"), []byte("EX"), []byte("PERSIST")
)

const twitterFields = "want 7 comma-separated fields: timestamp, anonymized key, key size, value size, client id, operation, TTL"

func parseTwitter(r *Reader, line []byte) (outcome, int, string) {
	if len(line) == 0 {
		return isIgnored, 0, ""
	}
	first := bytes.IndexByte(line, ',')
	if first < 0 {
		return isMalformed, 0, twitterFields
	}
	if bytes.EqualFold(line[:first], []byte("timestamp")) { // a header
		return isIgnored, 0, ""
	}
	// The last five commas, found from the end: the key may hold commas.
	var at [5]int
	end := len(line)
	for k := 4; k >= 0; k-- {
		end = bytes.LastIndexByte(line[:end], ',')
		if end <= first {
			return isMalformed, 0, twitterFields
		}
		at[k] = end
	}
	field := func(k int) []byte { return line[at[k]+1 : at[k+1]] }
	t, ok := parseSeconds(line[:first])
	if !ok {
		return isMalformed, 0, "timestamp: want seconds, got " + quoteShort(line[:first])
	}
	key := line[first+1 : at[0]]
	if len(key) == 0 {
		return isMalformed, 0, "the key is empty"
	}
	if _, ok := parseSize(field(0)); !ok {
		return isMalformed, 0, "key size: want a whole number of bytes, got " + quoteShort(field(0))
	}
	size, ok := parseSize(field(1))
	if !ok {
		return isMalformed, 0, "value size: want a whole number of bytes, got " + quoteShort(field(1))
	}
	ttl := line[at[4]+1:]
	if _, ok := parseSize(ttl); !ok {
		return isMalformed, 0, "TTL: want whole seconds, got " + quoteShort(ttl)
	}
	expires := len(bytes.TrimLeft(ttl, "0")) > 0

	var opBuf [maxNameLen]byte
	op := string(lower(opBuf[:0], field(3)))
	r.setArena(0)
	add := func(role Role, text []byte, size int) {
		r.rec.Args = append(r.rec.Args, Arg{Role: role, Text: text, Size: size})
	}
	add(Key, key, 0)
	switch op {
	case "get", "gets":
		r.rec.Command = cmdGet
	case "set", "add", "replace", "cas":
		r.rec.Command = cmdSet
		add(Value, nil, size)
		switch op {
		case "add":
			add(Literal, litNX, 0)
		case "replace", "cas":
			add(Literal, litXX, 0)
		}
		if expires {
			add(Literal, litEX, 0)
			add(Literal, ttl, 0)
		}
	case "append", "prepend":
		r.rec.Command = cmdAppend
		add(Value, nil, size)
	case "delete":
		r.rec.Command = cmdDel
	case "incr":
		r.rec.Command = cmdIncr
	case "decr":
		r.rec.Command = cmdDecr
	case "touch":
		r.rec.Command = cmdPersist
		if expires {
			r.rec.Command = cmdExpire
			add(Literal, ttl, 0)
		}
	case "gat", "gats":
		r.rec.Command = cmdGetEx
		if expires {
			add(Literal, litEX, 0)
			add(Literal, ttl, 0)
		} else {
			add(Literal, litPersist, 0)
		}
	default:
		return isSkipped, skipped(nil), ""
	}
	r.rec.Time = t
	return isRecord, 0, ""
}
