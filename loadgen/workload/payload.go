package workload

import "strconv"

// What one command holds in flight, at most. The generator's memory budget
// (config's limits.max_memory, checked before a run) and the runners'
// shared in-flight cap charge every in-flight request its worst case, so
// that a config whose requests could hold gigabytes is refused instead of
// taking the generator or the server down mid-run.

// Payload names the workload size that bounds what one command of an op
// carries, in the values it sends or in its reply. Keys are not counted:
// they are short and bounded by the key count's digits.
type Payload uint8

// The payloads, by what bounds them.
const (
	PayloadKey     Payload = iota // keys, counts and numbers only: incr, del, llen, scard, …
	PayloadValue                  // one kv value: get, set, set_ttl
	PayloadBatch                  // MGetBatch kv values: mget
	PayloadElement                // one element: a list item, a hash field and value, a member
	PayloadRange                  // RangeLen elements: lrange, hmget, zrange, …
	PayloadAll                    // every element of a structure: hgetall, smembers, sinter
)

// ItemOverhead is what each value or element costs beyond its own bytes:
// its RESP framing ("$<len>\r\n" … "\r\n") and, in a reply, the Go string
// or slice header that holds it.
const ItemOverhead = 32

// PayloadOf returns the payload of the op called name; an op this package
// does not know carries one value.
func PayloadOf(name string) Payload {
	if s, ok := specByName[name]; ok {
		return s.payload
	}
	return PayloadValue
}

// Sizes are what a command's payload depends on: a kv workload's largest
// value (Values.Largest) and MGET batch, or a structure's (its largest
// element when it has ElementSizes).
type Sizes struct {
	MaxValue  int // the largest kv value, in bytes
	MGetBatch int // keys per mget; below 1 means 1
	Structure Structure
}

// Items returns how many values or elements a command of payload p
// carries at most, and the bytes of each (ItemOverhead included).
//
//	PayloadValue    1          × (MaxValue + 32)
//	PayloadBatch    MGetBatch  × (MaxValue + 32)
//	PayloadElement  1          × (element + 32)
//	PayloadRange    RangeLen   × (element + 32)
//	PayloadAll      Elements   × (element + 32)   (a hash: 2 × Elements, hincrby's counters too)
//
// An element is a list item (ElementSize), a hash field and its value
// (the field's name and ElementSize) or a set or zset member (at least its
// name).
func (p Payload) Items(s Sizes) (n, each int64) {
	st := s.Structure.normalized()
	element := int64(ItemOverhead)
	switch size := st.largestElement(); st.Kind {
	case KindList:
		element += int64(size)
	case KindHash:
		element += int64(nameSize("f:", st.Elements, 0) + size)
	case KindSet, KindZSet:
		element += int64(nameSize("m:", st.Elements, size))
	}
	value := int64(max(s.MaxValue, 0)) + ItemOverhead
	switch p {
	case PayloadValue:
		return 1, value
	case PayloadBatch:
		return int64(max(s.MGetBatch, 1)), value
	case PayloadElement:
		return 1, element
	case PayloadRange:
		return int64(st.RangeLen), element
	case PayloadAll:
		if st.Kind == KindHash {
			return 2 * int64(st.Elements), element
		}
		return int64(st.Elements), element
	}
	return 0, 0
}

// CommandBytes returns the most bytes one command of the op called name
// carries: its payload's items times their size.
func CommandBytes(name string, s Sizes) int64 {
	n, each := PayloadOf(name).Items(s)
	return n * each
}

// MaxCommandBytes returns the most bytes one command of w's mix carries
// (CommandBytes of its largest op), for the in-flight budget: a request
// holds Pipeline of them.
func (w *Workload) MaxCommandBytes() int64 {
	s := Sizes{MaxValue: w.Values.Largest(), Structure: w.Structure}
	if ReplayOf(w) != nil {
		// Its ops name the trace's commands; each carries at most
		// MaxValueSize value bytes, whatever its name.
		return CommandBytes(ReplayOpName, s)
	}
	var most int64
	for _, o := range w.Ops {
		if m, ok := o.Op.(MGet); ok {
			s.MGetBatch = m.Batch
		}
		most = max(most, CommandBytes(o.Op.Name(), s))
	}
	return most
}

// StreamMemory returns the bytes a Stream of a workload of sizes s holds
// for as long as it lives, besides its requests: the buffer its values are
// cut from (the largest value, or the largest element) and the tables of
// its element names (at most maxNameTable each, and the offsets of names
// of several sizes).
func StreamMemory(s Sizes) int64 {
	st := s.Structure.normalized()
	if st.Kind == KindKV {
		return int64(max(s.MaxValue, 0))
	}
	table := func(prefix string, minSize int, sized bool) int {
		size := nameSize(prefix, st.Elements, minSize)
		if st.Elements > maxNameTable/size {
			return 0 // names are built as drawn
		}
		if sized {
			return st.Elements * (size + nameOffsetBytes)
		}
		return st.Elements * size
	}
	tables := 0
	switch st.Kind {
	case KindSet, KindZSet:
		tables = table("m:", st.largestElement(), st.ElementSizes != nil)
	case KindHash:
		tables = table("f:", 0, false) + table("n:", 0, false)
	}
	return int64(st.largestElement() + tables)
}

// PreloadMemory returns the most bytes a Preload of a workload of sizes s
// holds at once: a stream's buffers and a pipeline of at most
// PreloadBytes, or of one value or element larger than that, sent alone.
func PreloadMemory(s Sizes) int64 {
	one := CommandBytes("set", s)
	if st := s.Structure.normalized(); st.Kind != KindKV {
		_, one = PayloadElement.Items(s)
	}
	return StreamMemory(s) + max(PreloadBytes, one)
}

// nameSize is the length of every name of a universe of count names with
// prefix, padded to at least minSize: see names.
func nameSize(prefix string, count, minSize int) int {
	return max(minSize, len(prefix)+len(strconv.Itoa(max(count-1, 0))))
}
