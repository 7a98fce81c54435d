//go:build !linux

package cpuuse

// affinity is unknown off Linux (and /proc/stat absent): nil.
func affinity() func(cpu int) bool { return nil }
