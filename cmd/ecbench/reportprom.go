package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ecbench/ecbench/report"
)

// promSource is a checked --prometheus source.
type promSource struct {
	url           *url.URL // with the credentials, for the client
	display       string   // without them, for the page and messages
	passwordInURL bool
	from, to      time.Time
	step          time.Duration // 0: report.DefaultStep
	timeout       time.Duration
}

// timeForms says what --from and --to accept.
const timeForms = "RFC 3339 (2025-01-02T15:04:05Z), unix seconds (1735830245), now, or now-DURATION (now-6h, now-2d, now-1h30m)"

// parse checks the Prometheus flags against now (for now-6h) and getenv
// (for the password), returning every problem at once.
func (pf promFlags) parse(now time.Time, getenv func(string) string) (*promSource, []string) {
	var problems []string
	src := &promSource{timeout: *pf.timeout}
	u, err := parsePromURL(*pf.url)
	if err != nil {
		problems = append(problems, "--prometheus: "+err.Error())
	} else {
		src.url = u
		_, src.passwordInURL = u.User.Password()
		shown := *u
		shown.User = nil
		src.display = shown.String()
	}
	if name := *pf.passwordEnv; name != "" {
		pw := getenv(name)
		switch {
		case pw == "":
			problems = append(problems, fmt.Sprintf("--prometheus-password-env: $%s is empty or not set", name))
		case src.url != nil && src.url.User.Username() == "":
			problems = append(problems, "--prometheus-password-env: name the user in the URL: http://USER@host:9090")
		case src.url != nil:
			src.url.User = url.UserPassword(src.url.User.Username(), pw)
		}
	}
	var fromOK, toOK bool
	for _, f := range []struct {
		name string
		val  string
		dst  *time.Time
		ok   *bool
	}{{"from", *pf.from, &src.from, &fromOK}, {"to", *pf.to, &src.to, &toOK}} {
		if f.val == "" {
			problems = append(problems, fmt.Sprintf("--%s: required with --prometheus: %s", f.name, timeForms))
			continue
		}
		t, err := parseTime(f.val, now)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--%s: %v", f.name, err))
			continue
		}
		*f.dst, *f.ok = t.Truncate(time.Second), true
	}
	if fromOK && toOK && !src.from.Before(src.to) {
		problems = append(problems, fmt.Sprintf("--from must be before --to (by a second at least); got %s and %s",
			src.from.UTC().Format(time.RFC3339), src.to.UTC().Format(time.RFC3339)))
	}
	if *pf.step != "" {
		d, err := model.ParseDuration(*pf.step)
		step := time.Duration(d)
		switch {
		case err != nil || step < time.Second || step%time.Second != 0:
			problems = append(problems, fmt.Sprintf("--step: want a whole number of seconds, 1s or more (15s, 1m, 1h); got %q", *pf.step))
		case fromOK && toOK && src.from.Before(src.to) && src.to.Sub(src.from)/step >= report.MaxPoints:
			least := time.Duration(math.Ceil(src.to.Sub(src.from).Seconds()/(report.MaxPoints-1))) * time.Second
			problems = append(problems, fmt.Sprintf("--step: %v gives %d points over the window; Prometheus allows %d: use --step %v or more",
				step, src.to.Sub(src.from)/step+1, report.MaxPoints, least))
		default:
			src.step = step
		}
	}
	if src.timeout <= 0 {
		problems = append(problems, fmt.Sprintf("--timeout: must be more than 0; got %v", src.timeout))
	}
	return src, problems
}

// parsePromURL checks a Prometheus URL. Its errors never repeat the URL,
// which may hold a password.
func parsePromURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil { // url.Parse's error quotes the URL, or a piece of it
		return nil, errors.New("not a valid URL (check its characters and %-escapes); want one such as http://localhost:9090")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("want an http:// or https:// URL such as http://localhost:9090; got one with scheme %q and host %q", u.Scheme, u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("want the server's base URL, without ?query or #fragment, such as http://localhost:9090")
	}
	return u, nil
}

var (
	unixSeconds  = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,9})?$`)
	nowRelative  = regexp.MustCompile(`^now([+-])(.*)$`)
	errTimeRange = errors.New("outside 1970..9999")
	// lastSecond is the end of year 9999: RFC 3339 writes no later time.
	lastSecond = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// parseTime reads a --from or --to value, Grafana style: RFC 3339, unix
// seconds (with up to nine decimals), now, or now±DURATION in Prometheus'
// duration syntax (s, m, h, d, w, y; compounds such as 1h30m).
func parseTime(s string, now time.Time) (time.Time, error) {
	var t time.Time
	switch {
	case s == "now":
		t = now
	case nowRelative.MatchString(s):
		m := nowRelative.FindStringSubmatch(s)
		d, err := model.ParseDuration(m[2])
		if err != nil {
			return t, fmt.Errorf("%q: the duration after now%s: %w; want e.g. now-6h, now-2d, now-1h30m", s, m[1], err)
		}
		if m[1] == "-" {
			t = now.Add(-time.Duration(d))
		} else {
			t = now.Add(time.Duration(d))
		}
	case unixSeconds.MatchString(s):
		sec, frac, _ := strings.Cut(s, ".")
		n, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return t, fmt.Errorf("want %s; got %q", timeForms, s)
		}
		var ns int64
		if frac != "" {
			ns, _ = strconv.ParseInt((frac + "00000000")[:9], 10, 64)
		}
		t = time.Unix(n, ns).UTC()
	default:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return t, fmt.Errorf("want %s; got %q", timeForms, s)
		}
	}
	if t.Before(time.Unix(0, 0)) || t.After(lastSecond) {
		return time.Time{}, fmt.Errorf("%q: %w", s, errTimeRange)
	}
	return t, nil
}

// model reads the window from Prometheus and builds the page's model: the
// Prometheus data as a run, its table computed like `ecbench compare`'s.
func (src *promSource) model(ctx context.Context, opts report.Options) (report.Model, error) {
	ctx, cancel := context.WithTimeout(ctx, src.timeout)
	defer cancel()
	p, err := report.ReadPrometheus(ctx, src.url.String(), report.PromQuery{From: src.from, To: src.to, Step: src.step, Source: src.display})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (--timeout %v)", err, src.timeout)
		}
		return report.Model{}, err
	}
	return p.Build(opts)
}
