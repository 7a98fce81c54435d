package probe

// Sampled exposes sampled to the external tests, which need the exact
// number of checked writes of a probe with Sample < 1.
func (i *Integrity) Sampled(seq uint64) bool { return i.sampled(seq) }
