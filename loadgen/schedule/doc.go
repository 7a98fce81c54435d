// Package schedule holds open-loop arrival schedules: how many requests a
// runner should have sent by a given moment, when request n is due, and the
// rate it is offering right now.
//
// A runner sends request n at Due(n) whether or not earlier requests have
// come back, so a slow server shows up as latency measured from the intended
// start rather than as a lower offered rate. Every schedule is defined by its
// rate; Count is the rate's integral and Due is Count's inverse, both in
// closed form where one exists, so a runner that asks for Due(n) directly
// never accumulates the drift of summing inter-arrival gaps.
//
// Due(n) is the moment Count passes n, inf{t >= 0 : Count(t) > n}. Where the
// rate is positive that is simply the t with Count(t) == n, so request 0 is
// due at 0. A stretch at rate 0 holds the next request back until the rate
// resumes instead of sending it as the stretch begins: Steps of 100/s for 1s,
// then 0 for 1s, then 200/s sends requests 0..99 at 0, 10ms, ..., 990ms and
// request 100 at 2s, and a schedule at rate 0 throughout sends nothing. Each
// half-open interval [a, b) thus receives Count(b)-Count(a) requests, give or
// take the fraction.
//
// Schedules are immutable values, safe for concurrent use; each runner still
// holds its own copy. Due, Count and Rate do not allocate.
//
// Bad parameters are the config validator's business, but a schedule must not
// panic, loop or return a negative offset whatever it is given. So a negative
// or NaN rate counts as 0, +Inf as the largest float64, a negative duration as
// 0, and each type documents what a zero duration means. Due reports ok=false
// rather than overflow a time.Duration, and Count and Rate treat a negative
// elapsed time as 0.
//
// # Configured schedules
//
// Each type of schedule a configuration can name (constant, ramp, steps,
// burst, sine, and closed loop, which has none) is a Type: its name and its
// Params, a struct whose mapstructure tags are the configuration's keys,
// filled with the type's defaults by New, checked by Check and turned into a
// Schedule by Schedule. A Spec is a type's name with its parameters; its
// Schedule method is what runners are given. A type's entry lives beside its
// schedule in the type's own file, and Types lists them in registry.go.
package schedule
