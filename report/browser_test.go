package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser;
// scripts/install-deps.sh installs it.
const chromiumPath = "/usr/bin/chromium"

// figureCheck is what the page says about one chart figure.
type figureCheck struct {
	ID        string `json:"id"`
	SVGs      int    `json:"svgs"`
	Paths     int    `json:"paths"`
	DrawnPath bool   `json:"drawnPath"` // some path has a non-empty bounding box
}

// checkFigures runs in the page: for each <figure>, its svgs and whether one
// of its paths is drawn with a non-empty bounding box.
const checkFigures = `Array.from(document.querySelectorAll('figure')).map(f => {
	const paths = Array.from(f.querySelectorAll('svg path'));
	return {
		id: f.id,
		svgs: f.querySelectorAll('svg').length,
		paths: paths.length,
		drawnPath: paths.some(p => { const b = p.getBBox(); return b.width > 0 && b.height > 0; }),
	};
})`

// TestReportBrowser opens the HTML report of testdata/run in a real headless
// Chromium with the network off, and checks that it loads without errors,
// requests nothing but itself, and draws every chart.
func TestReportBrowser(t *testing.T) {
	m := build(readTestRun(t), testTable(), Options{})
	checkInBrowser(t, &m, "report-browser.png")
}

// checkInBrowser writes m's page to a file and opens it in a real headless
// Chromium with the network off: it must load without errors, request
// nothing but itself, and draw every chart. The screenshot is saved as
// shot in $TEST_ARTIFACTS_DIR (or a temporary directory).
func checkInBrowser(t *testing.T, m *Model, shot string) {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s (%v): install the test dependencies and run the tests as the README says: make test (./scripts/test.sh runs ./scripts/install-deps.sh)", chromiumPath, err)
	}

	// The report, as a file.
	charts := m.Charts()
	for _, c := range charts {
		if len(c.Lines) == 0 {
			t.Fatalf("chart %s has no lines: the test needs every chart drawn", c.ID)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, m); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: file}).String()

	// The browser, bounded as a whole: the timeout ends the browser too.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	// Start the browser and its tab before anything listens.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	var (
		mu       sync.Mutex
		problems []string
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problem("console.%s: %v", ev.Type, args)
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			problem("page exception: %s %s at %s:%d:%d", d.Text, desc, d.URL, d.LineNumber, d.ColumnNumber)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problem("log error (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != pageURL {
				problem("request to %s", ev.Request.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	// Network off: offline for every URL, and every request paused and
	// failed, except the page itself (should Chromium pause file:// at all).
	paused := chromedp.Events(bctx, fetch.RequestPaused)
	fetchDone := make(chan struct{})
	go func() {
		defer close(fetchDone)
		for ev, err := range paused {
			if err != nil {
				return
			}
			if ev.Request.URL == pageURL {
				_, _ = chromedp.Call(bctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			problem("request to %s (blocked)", ev.Request.URL)
			_, _ = chromedp.Call(bctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	if _, err := chromedp.Call(bctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true}},
	}); err != nil {
		t.Fatalf("network offline: %v", err)
	}
	if _, err := chromedp.Call(bctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true}); err != nil {
		t.Fatalf("network offline: %v", err)
	}
	if _, err := chromedp.Call(bctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatalf("fetch.enable: %v", err)
	}

	start := time.Now()
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}
	figs, err := chromedp.Run(bctx, chromedp.Evaluate[[]figureCheck](checkFigures))
	if err != nil {
		t.Fatalf("check figures: %v", err)
	}
	svgs, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('figure svg').length`))
	if err != nil {
		t.Fatalf("count svgs: %v", err)
	}
	img, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("page loaded and checked in %v", time.Since(start).Round(time.Millisecond))

	// The screenshot is an artefact, kept even when a check below fails.
	out := os.Getenv("TEST_ARTIFACTS_DIR")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(out, shot)
	if err := os.WriteFile(png, img, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", png, len(img))
	if len(img) < 8 || string(img[1:4]) != "PNG" {
		t.Errorf("screenshot is not a PNG")
	}

	if svgs != len(charts) {
		t.Errorf("%d figure svgs in the page, want one per chart (%d)", svgs, len(charts))
	}
	if len(figs) != len(charts) {
		t.Errorf("%d figures in the page, want %d", len(figs), len(charts))
	}
	for i, c := range charts {
		if i >= len(figs) {
			break
		}
		fg := figs[i]
		switch {
		case fg.ID != c.ID:
			t.Errorf("figure %d is %q, want %q", i, fg.ID, c.ID)
		case fg.SVGs != 1:
			t.Errorf("figure %s holds %d svgs, want 1", c.ID, fg.SVGs)
		case !fg.DrawnPath:
			t.Errorf("figure %s: none of its %d paths has a non-empty bounding box", c.ID, fg.Paths)
		}
	}

	// Stop the browser, then read what it reported.
	cancelBrowser()
	cancelAlloc()
	<-fetchDone
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
}
