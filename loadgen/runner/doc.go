// Package runner drives one workload against one target. Every (workload,
// target) pair gets its own Runner with its own copy of the schedule and its
// own request stream, so a slow engine never holds back the other.
//
// The open-loop runner sends each request at the time its schedule says,
// whether or not earlier requests have been answered, and measures latency
// from that intended time; when the in-flight bound is reached a request is
// counted as dropped, never queued without limit. The closed-loop runner
// (no schedule) keeps a fixed number of workers busy as fast as they go.
package runner
