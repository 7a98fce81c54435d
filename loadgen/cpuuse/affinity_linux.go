package cpuuse

import "golang.org/x/sys/unix"

// affinity reports the CPUs this process may run on; nil when unknown.
func affinity() func(cpu int) bool {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil || set.Count() == 0 {
		return nil
	}
	return func(cpu int) bool { return cpu >= 0 && cpu < 1024 && set.IsSet(cpu) }
}
