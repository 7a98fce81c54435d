// Package trace reads captured request traces for a replay: Redis MONITOR
// output, the Twitter cache-trace CSV, and ecbench's own CSV and JSONL
// (one object a line, {"time": seconds, "command": name, "args": [...]},
// value arguments as their sizes, every other argument a string). A Reader
// streams a trace one line at a time in bounded memory (a read buffer and
// the longest line it takes), so a trace of many gigabytes replays as well
// as a small one; a File reads a Source's file, gzip-compressed or not,
// and rewinds it for a replay that loops.
//
// Each line becomes a Record: its recorded time, a Command from the fixed
// table of commands a replay sends (CommandNames), and the command's words,
// each a Key (which the replay puts under its workload's prefix), a Value
// (data the client stored, of which only the size is kept: the replay
// synthesizes it) or a Literal (a field, a member, a score, an option,
// sent as recorded). A command outside the table is skipped and counted by
// name, from the fixed SkippedNames (Other for the rest), and a line that
// is not a record of its format is malformed; both go to the Reader's
// Observer with their line numbers, and reading goes on. Nothing in a
// trace makes a Reader fail: only the file's own read errors do.
//
// # Formats
//
// monitor: what MONITOR prints (redis-cli monitor > trace.log), one
// command a line. Times are Unix seconds with
// microseconds. Commands run by scripts appear on lines of their own and
// are sent; EVAL, MULTI and EXEC are skipped, so a transaction's commands
// are sent one by one.
//
// twitter: the cache-trace CSV of github.com/twitter/cache-trace, with
// memcached operations mapped to Redis commands as Twitter lists. Times
// are whole seconds (Format.Resolution), which a replay spreads evenly.
//
// ecbench: CSV lines time,command,arguments..., value arguments written as
// their size in bytes, as Ecbench shows.
//
// Synth writes synthetic traces of every format from a seed: the samples
// in testdata and the large traces the performance figures are measured on.
package trace
