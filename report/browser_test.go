package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// firstScreen is what the page shows before any scrolling, measured in
// the page: the boxes (CSS pixels, from the viewport's top left) of the
// decision lines and of the forest plot, how large the forest plot is
// drawn against its own size, and the fonts.
type firstScreen struct {
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	Decisions     *box    `json:"decisions"`
	Forest        *box    `json:"forest"`
	ForestNatural float64 `json:"forestNatural"` // the forest plot's own width in CSS pixels
	DecisionLines int     `json:"decisionLines"`
	BodyFont      string  `json:"bodyFont"`
	SVGFont       string  `json:"svgFont"` // of the forest plot's first text
}

type box struct {
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// measureFirstScreen runs in the page before anything is scrolled or
// opened.
const measureFirstScreen = `(() => {
	const box = s => { const e = document.querySelector(s); if (!e) return null;
		const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; };
	const svg = document.querySelector('#forest svg');
	const text = svg && svg.querySelector('text');
	return {
		width: window.innerWidth, height: window.innerHeight,
		decisions: box('#decision ul.decisions'), forest: box('#forest svg'),
		forestNatural: svg ? parseFloat(svg.getAttribute('width')) * 4 / 3 : 0,
		decisionLines: document.querySelectorAll('#decision ul.decisions li').length,
		bodyFont: getComputedStyle(document.body).fontFamily,
		svgFont: text ? getComputedStyle(text).fontFamily : '',
	};
})()`

// pageCheck is what the page says, with every section open, about its
// charts and its tables.
type pageCheck struct {
	// Scaled are the charts drawn at less than 90% of their own width: too
	// small to read at 100% zoom.
	Scaled []string `json:"scaled"`
	// MinRow and MaxRow are the heights of the lowest and the highest row
	// of the full table: a cell that wraps makes its row taller.
	MinRow float64 `json:"minRow"`
	MaxRow float64 `json:"maxRow"`
	Rows   int     `json:"rows"`
}

const checkPage = `(() => {
	const scaled = Array.from(document.querySelectorAll('figure svg')).filter(s => {
		const natural = parseFloat(s.getAttribute('width')) * 4 / 3;
		return s.getBoundingClientRect().width < 0.9 * natural;
	}).map(s => s.closest('figure').id);
	const rows = Array.from(document.querySelectorAll('#table tbody tr')).map(r => r.getBoundingClientRect().height);
	return {scaled, minRow: rows.length ? Math.min(...rows) : 0, maxRow: rows.length ? Math.max(...rows) : 0, rows: rows.length};
})()`

// TestReportBrowser opens the HTML report of testdata/run in a real headless
// Chromium with the network off, and checks that it loads without errors,
// requests nothing but itself, draws every chart, and shows the decision
// and the forest plot on its first screen.
func TestReportBrowser(t *testing.T) {
	m := build(readTestRun(t), testTable(), Options{})
	checkInBrowser(t, &m, "report-browser", true)
}

// TestReportBrowserAll does the same for a -t all-like run: five
// workloads, 32 ops. Its first screen holds every decision line and the
// whole forest plot of the 32 ops.
func TestReportBrowserAll(t *testing.T) {
	m := mustBuild(t, allRun(t), Options{})
	checkInBrowser(t, &m, "report-all", true)
}

// The viewport of the tests: a laptop's browser window.
const viewportWidth, viewportHeight = 1400, 900

// checkInBrowser writes m's page to a file and opens it in a real headless
// Chromium with the network off, in a 1400×900 viewport: it must load
// without errors and request nothing but itself; with decision set, its
// first screen must hold the decision lines and the whole forest plot, at
// no less than 90% of its size. With every section opened, every chart
// must be drawn, none shrunk below 90% of its size, and no cell of the
// full table wrap. Screenshots of the first screen and of the whole page
// are kept as name-first-screen.png and name-full.png in
// $TEST_ARTIFACTS_DIR (or a temporary directory); the test logs where.
func checkInBrowser(t *testing.T, m *Model, name string, decision bool) {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s (%v): install the test dependencies and run the tests as the README says: make test (./scripts/test.sh runs ./scripts/install-deps.sh)", chromiumPath, err)
	}

	// The report, as a file.
	for _, c := range m.Charts() {
		if len(c.Lines) == 0 {
			t.Fatalf("chart %s has no lines: the test needs every chart drawn", c.ID)
		}
	}
	charts := m.figures()
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
		chromedp.WindowSize(viewportWidth, viewportHeight),
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
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(viewportWidth, viewportHeight), chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}
	first, err := chromedp.Run(bctx, chromedp.Evaluate[firstScreen](measureFirstScreen))
	if err != nil {
		t.Fatalf("measure the first screen: %v", err)
	}
	firstShot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('details').forEach(d => { d.open = true; }); 0`)); err != nil {
		t.Fatalf("open the sections: %v", err)
	}
	pc, err := chromedp.Run(bctx, chromedp.Evaluate[pageCheck](checkPage))
	if err != nil {
		t.Fatalf("check the page: %v", err)
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

	// The screenshots are artefacts, kept even when a check below fails.
	out := os.Getenv("TEST_ARTIFACTS_DIR")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if html, err := os.ReadFile(file); err == nil { // the page itself, to look at
		_ = os.WriteFile(filepath.Join(out, name+".html"), html, 0o644)
	}
	for _, shot := range []struct {
		file string
		img  []byte
	}{{name + "-first-screen.png", firstShot}, {name + "-full.png", img}} {
		png := filepath.Join(out, shot.file)
		if err := os.WriteFile(png, shot.img, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", png, len(shot.img))
		if len(shot.img) < 8 || string(shot.img[1:4]) != "PNG" {
			t.Errorf("screenshot %s is not a PNG", shot.file)
		}
	}

	// The first screen: the decision and the forest plot, whole.
	t.Logf("first screen %d×%d: decision lines %+v, forest plot %+v (own width %.0f px), fonts %q, in the charts %q",
		first.Width, first.Height, first.Decisions, first.Forest, first.ForestNatural, first.BodyFont, first.SVGFont)
	if first.Width != viewportWidth || first.Height != viewportHeight {
		t.Errorf("viewport %d×%d, want %d×%d", first.Width, first.Height, viewportWidth, viewportHeight)
	}
	if decision {
		inside := func(what string, b *box) {
			switch {
			case b == nil:
				t.Errorf("the page has no %s", what)
			case b.Top < 0 || b.Bottom > float64(first.Height) || b.Left < 0 || b.Right > float64(first.Width) || b.Height <= 0:
				t.Errorf("the %s lies at %+v, not within the first screen of %d×%d", what, *b, first.Width, first.Height)
			}
		}
		inside("decision lines", first.Decisions)
		inside("forest plot", first.Forest)
		if want := len(m.Table.Decisions); first.DecisionLines != want {
			t.Errorf("%d decision lines on the page, want %d", first.DecisionLines, want)
		}
		if first.Forest != nil && first.Forest.Width < 0.9*first.ForestNatural {
			t.Errorf("the forest plot is drawn %.0f px wide, less than 90%% of its %.0f px: too small to read", first.Forest.Width, first.ForestNatural)
		}
		if !strings.Contains(first.SVGFont, "sans-serif") || !strings.Contains(first.BodyFont, "sans-serif") {
			t.Errorf("fonts %q and %q: want sans-serif ones", first.BodyFont, first.SVGFont)
		}
	}
	if len(pc.Scaled) > 0 {
		t.Errorf("charts drawn at less than 90%% of their size at %d px: %v", viewportWidth, pc.Scaled)
	}
	if pc.Rows > 0 && pc.MaxRow > 1.3*pc.MinRow {
		t.Errorf("full table rows from %.0f to %.0f px high: a cell wraps", pc.MinRow, pc.MaxRow)
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
		fg, id := figs[i], c.figureID()
		switch {
		case fg.ID != id:
			t.Errorf("figure %d is %q, want %q", i, fg.ID, id)
		case fg.SVGs != 1:
			t.Errorf("figure %s holds %d svgs, want 1", id, fg.SVGs)
		case !fg.DrawnPath:
			t.Errorf("figure %s: none of its %d paths has a non-empty bounding box", id, fg.Paths)
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
