package comparison

import (
	"fmt"
	"math"
)

// Cost is what one engine's answered requests cost at the throughput it
// measured, from the price the user gave its target (results.Target).
//
//	cost per billion requests = price_per_hour / (requests/s × 3600) × 1e9
//	requests per unit of cost = requests/s × 3600 / price_per_hour
type Cost struct {
	Target       string
	PricePerHour float64 // in Currency
	Currency     string  // free text; "" when none was given
	Throughput   float64 // answered requests per second, every op of the workload
	Answered     float64 // share of the due requests answered, every op of the workload
	PerBillion   float64 // cost of 1e9 requests, in Currency; NaN without throughput
	PerUnit      float64 // requests per 1 of Currency; NaN without throughput
}

// CostOf is the cost per billion requests and the requests per unit of
// cost of a node priced pricePerHour that answers requestsPerSecond; ok is
// false (and both NaN) when either is not a positive finite number.
func CostOf(pricePerHour, requestsPerSecond float64) (perBillion, perUnit float64, ok bool) {
	finite := func(x float64) bool { return x > 0 && !math.IsInf(x, 0) }
	if !finite(pricePerHour) || !finite(requestsPerSecond) {
		return math.NaN(), math.NaN(), false
	}
	perHour := requestsPerSecond * 3600
	return pricePerHour / perHour * 1e9, perHour / pricePerHour, true
}

// servedShare is the least share of the offered requests an engine must
// answer under an open-loop schedule for its throughput to be the offered
// rate (what is left is the drops and errors of a healthy run).
const servedShare = 0.99

// costRatio is candidate/baseline of the cost per billion requests, or NaN
// and why there is none; a and b are the engines' costs, nil for one
// without a price (named by unpriced).
func costRatio(a, b *Cost, unpriced string) (float64, string) {
	switch {
	case a == nil && b == nil:
		return math.NaN(), ""
	case a == nil || b == nil:
		return math.NaN(), fmt.Sprintf("no cost ratio: %s has no price_per_hour", unpriced)
	case a.Currency != b.Currency:
		return math.NaN(), fmt.Sprintf("no cost ratio: %s is priced in %s, %s in %s", a.Target, currencyName(a.Currency), b.Target, currencyName(b.Currency))
	case math.IsNaN(a.PerBillion) || math.IsNaN(b.PerBillion):
		return math.NaN(), "no cost ratio: an engine answered no requests"
	}
	return b.PerBillion / a.PerBillion, ""
}

func currencyName(c string) string {
	if c == "" {
		return "no currency"
	}
	return c
}

// openLoopCostNote says what an open-loop cost means: both engines were
// offered one rate, so when both answered it the cost per request differs
// by their prices alone.
func openLoopCostNote(a, b *Cost) string {
	if a.Answered >= servedShare && b.Answered >= servedShare {
		return "open loop: both served the offered rate, so the cost per request differs only by price; " +
			"a closed-loop run measures what a node can serve"
	}
	return "open loop: each cost is at the rate the engine answered of the offered one, not at its capacity; " +
		"a closed-loop run measures what a node can serve"
}
