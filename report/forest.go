package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	xfont "golang.org/x/image/font"

	"github.com/ecbench/ecbench/threshold"
)

// The forest plot answers "which engine, by how much, how sure?" for
// every op at a glance: a row per op (grouped by workload, in the run's
// order), a panel per quantity, and in each cell the whole-run ratio
// candidate/baseline as a point with its 95% interval as a line, on one
// logarithmic ratio axis (×1.25 and ×0.8 lie as far from 1), 1 marked,
// each panel's as wide as its intervals. A point is coloured by its verdict: the colour of the
// engine significantly better on that quantity, grey when the interval
// includes 1; hollow when the ratio has no interval (too few intervals), so
// that a figure measured once never looks like an estimate. Rows of ops
// that failed, that one engine alone ran, or whose generator was the
// bottleneck say so instead, or are drawn hollow and grey.
//
//	            throughput       p50            p99
//	kv   get    ·  |  ●──┼──     ──●─┼          ·  ┼──●──
//	     set    ·  |──●──┼       ──●─┼          · ─┼─●──
//	list lpush  …
//
// The intervals are each quantity's own 95% interval, as the table
// shows; the decision lines widen them to hold together (see package
// comparison), so a point can be coloured while its workload is "no
// difference", never the reverse.

// forestQuantities are the panels: every quantity with an interval. max
// is one request's latency, measured once, and the error rate a
// difference, not a ratio: both are in the table.
var forestQuantities = []threshold.Quantity{threshold.Throughput, threshold.Mean, threshold.P50, threshold.P95, threshold.P99, threshold.P999}

// Forest is the forest plot's data.
type Forest struct {
	ID    string // "forest": the figure's id and file name
	Title string
	Ratio string // "valkey/redis"
	// Engines are the baseline and the candidate: their names as the page
	// labels them and their colours (Line.Color).
	Engines [2]ForestEngine
	Panels  []threshold.Quantity
	Rows    []ForestRow
}

// ForestEngine is one side of the forest plot's ratio.
type ForestEngine struct {
	Target, Label string
	Color         int
}

// ForestRow is one op: its cells, one per panel, or a note in their place.
type ForestRow struct {
	Workload, Op string
	Note         string // "redis: 100% of set failed (oom)": no cells drawn
	Untrusted    bool   // the generator was the bottleneck: drawn hollow and grey
	Cells        []ForestCell
}

// ForestCell is one quantity of one op.
type ForestCell struct {
	Ratio, Low, High float64
	HasRatio, HasCI  bool
	Better           int    // 0 the baseline, 1 the candidate is significantly better; -1 neither
	Note             string // why there is no ratio: "open loop"
}

// forest builds the forest plot from the table's ops.
func (b *builder) forest(t Table) Forest {
	f := Forest{ID: "forest", Panels: forestQuantities}
	if t.BaselineTarget == "" || t.CandidateTarget == "" {
		return f // one engine, or none: nothing to compare
	}
	f.Ratio, f.Title = t.Ratio, "Every op and quantity: "+t.Ratio+", point and 95% interval (log scale)"
	for i, target := range []string{t.BaselineTarget, t.CandidateTarget} {
		f.Engines[i] = ForestEngine{Target: target, Label: b.name(target), Color: b.color(target)}
	}
	for i := range t.Ops {
		op := &t.Ops[i]
		row := ForestRow{Workload: op.Workload, Op: op.Op, Untrusted: !op.Trusted}
		switch {
		case op.OneEngine != "":
			row.Note = op.OneEngine
		case op.Failure != "":
			row.Note = op.Failure
		}
		for _, q := range f.Panels {
			e, _ := op.Estimate(q)
			c := ForestCell{Ratio: round(e.Ratio), Low: round(e.Low), High: round(e.High), HasRatio: e.HasRatio, HasCI: e.HasCI && e.Low > 0, Better: -1}
			switch e.Better {
			case "":
			case t.BaselineTarget:
				c.Better = 0
			case t.CandidateTarget:
				c.Better = 1
			}
			if q == threshold.Throughput && op.OpenLoop {
				c.Note = "open loop"
			}
			row.Cells = append(row.Cells, c)
		}
		f.Rows = append(f.Rows, row)
	}
	return f
}

// The forest plot's geometry, in points (a point is 1⅓ CSS pixels): rows
// tall enough for 12 px text, panels wide enough for five tick labels.
const (
	forestWidth    = 840
	forestRow      = 10
	forestGroupGap = 4
	forestFont     = 9
	forestTitle    = 18
	forestHeader   = 14
	forestAxis     = 15
	forestLegend   = 16
	forestPad      = 4
	forestPanelGap = 12
	// forestSlack widens what Go's metrics say a label needs: a browser
	// without Liberation Sans draws it in a wider fallback font.
	forestSlack = 1.15
)

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
	// Verdict colours besides the engines': no significant difference,
	// no ratio, a failing row.
	sameColor    = color.RGBA{89, 89, 89, 255}
	noDataColor  = color.RGBA{150, 150, 150, 255}
	failColor    = color.RGBA{180, 40, 0, 255}
	gridColor    = color.RGBA{225, 225, 225, 255}
	frameColor   = color.RGBA{190, 190, 190, 255}
	stripeColor  = color.RGBA{246, 246, 246, 255}
	unityColor   = color.RGBA{60, 60, 60, 255}
	forestMaxLog = math.Log(4) // intervals past ×4 or ×¼ are cut, with an arrow
	forestMinLog = math.Log(1.1)
)

func forestText(f font.Font, size float64, c color.Color, xa draw.XAlignment, ya draw.YAlignment) text.Style {
	return text.Style{Color: c, Font: font.From(f, vg.Points(size)), XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
}

// size is the forest plot's canvas: its height grows with the rows.
func (f *Forest) size() (vg.Length, vg.Length) {
	groups := 0
	for i, r := range f.Rows {
		if i == 0 || r.Workload != f.Rows[i-1].Workload {
			groups++
		}
	}
	h := forestTitle + forestHeader + float64(len(f.Rows))*forestRow + float64(max(groups-1, 0))*forestGroupGap + forestAxis + forestLegend + 2*forestPad
	return vg.Points(forestWidth), vg.Points(h)
}

func (f *Forest) figureID() string { return f.ID }

// axis is panel i's ratio axis: symmetric on the log scale about 1, wide
// enough for every interval of the panel up to ×4. Each panel has its
// own, so that throughput's ±5% is not flattened by p99.9's ±50%.
func (f *Forest) axis(i int) (lo, hi float64) {
	m := forestMinLog
	for _, r := range f.Rows {
		if r.Note != "" || i >= len(r.Cells) {
			continue
		}
		c := r.Cells[i]
		{
			for _, v := range []float64{c.Ratio, c.Low, c.High} {
				if v > 0 && !math.IsInf(v, 0) {
					m = max(m, math.Abs(math.Log(v))*1.25) // room: a point must not sit on its panel's edge
				}
			}
		}
	}
	m = min(m, forestMaxLog)
	return math.Exp(-m), math.Exp(m)
}

// draw draws the forest plot on dc.
func (f *Forest) draw(dc draw.Canvas) error {
	dc.FillPolygon(color.White, rect(dc.Min.X, dc.Min.Y, dc.Max.X, dc.Max.Y))
	label := forestText(sansFont, forestFont, color.Black, draw.XLeft, draw.YCenter)
	bold := forestText(boldFont, forestFont, color.Black, draw.XLeft, draw.YCenter)
	small := forestText(sansFont, forestFont-1, sameColor, draw.XCenter, draw.YTop)

	// Columns: workload, op, then the panels.
	var wlW, opW vg.Length
	for _, r := range f.Rows {
		wlW = max(wlW, bold.Width(r.Workload))
		opW = max(opW, label.Width(r.Op))
	}
	wlW, opW = wlW*forestSlack+vg.Points(8), opW*forestSlack+vg.Points(10)
	left := dc.Min.X + vg.Points(forestPad)
	panelsX := left + wlW + opW
	n := vg.Length(len(f.Panels))
	panelW := (dc.Max.X - vg.Points(forestPad) - panelsX - (n-1)*vg.Points(forestPanelGap)) / n
	los, his := make([]float64, len(f.Panels)), make([]float64, len(f.Panels))
	for i := range f.Panels {
		los[i], his[i] = f.axis(i)
	}
	xOf := func(panel int, v float64) vg.Length {
		x0 := panelsX + vg.Length(panel)*(panelW+vg.Points(forestPanelGap))
		lo, hi := los[panel], his[panel]
		return x0 + panelW*vg.Length((math.Log(v)-math.Log(lo))/(math.Log(hi)-math.Log(lo)))
	}

	top := dc.Max.Y - vg.Points(forestPad)
	title := forestText(boldFont, forestFont+1.5, color.Black, draw.XLeft, draw.YTop)
	dc.FillText(title, vg.Point{X: left, Y: top}, f.Title)
	top -= vg.Points(forestTitle)
	header := forestText(boldFont, forestFont, color.Black, draw.XCenter, draw.YTop)
	for i, q := range f.Panels {
		dc.FillText(header, vg.Point{X: (xOf(i, los[i]) + xOf(i, his[i])) / 2, Y: top}, panelTitle(q))
	}
	top -= vg.Points(forestHeader)

	// Rows, top down; every other workload striped.
	ys := make([]vg.Length, len(f.Rows))
	y := top
	group := 0
	for i, r := range f.Rows {
		if i > 0 && r.Workload != f.Rows[i-1].Workload {
			y -= vg.Points(forestGroupGap)
			group++
		}
		if group%2 == 1 {
			dc.FillPolygon(stripeColor, rect(left-vg.Points(2), y-vg.Points(forestRow), dc.Max.X-vg.Points(2), y))
		}
		ys[i] = y - vg.Points(forestRow)/2
		y -= vg.Points(forestRow)
	}
	bottom := y

	// The grid, 1 and the tick labels of each panel.
	tickLabel := forestText(sansFont, forestFont-1, color.Black, draw.XCenter, draw.YTop)
	for i := range f.Panels {
		x0, x1 := xOf(i, los[i]), xOf(i, his[i])
		dc.StrokeLines(draw.LineStyle{Color: frameColor, Width: vg.Points(0.6)}, []vg.Point{{X: x0, Y: bottom}, {X: x0, Y: top}, {X: x1, Y: top}, {X: x1, Y: bottom}, {X: x0, Y: bottom}})
		for _, t := range (ratioTicks{max: 5}).Ticks(los[i], his[i]) {
			x := xOf(i, t.Value)
			if t.Label == "" || t.Value <= los[i] || t.Value >= his[i] {
				continue
			}
			dc.StrokeLine2(draw.LineStyle{Color: gridColor, Width: vg.Points(0.6)}, x, bottom, x, top)
			if t.Value != 1 {
				dc.FillText(tickLabel, vg.Point{X: x, Y: bottom - vg.Points(2)}, t.Label)
			}
		}
		one := xOf(i, 1)
		dc.StrokeLine2(draw.LineStyle{Color: unityColor, Width: vg.Points(0.9)}, one, bottom, one, top)
		dc.FillText(forestText(boldFont, forestFont-1, color.Black, draw.XCenter, draw.YTop), vg.Point{X: one, Y: bottom - vg.Points(2)}, "1")
	}

	// The rows' labels and cells.
	note := forestText(sansFont, forestFont, failColor, draw.XLeft, draw.YCenter)
	for i, r := range f.Rows {
		if i == 0 || r.Workload != f.Rows[i-1].Workload {
			dc.FillText(bold, vg.Point{X: left, Y: ys[i]}, r.Workload)
		}
		dc.FillText(label, vg.Point{X: left + wlW, Y: ys[i]}, r.Op)
		if r.Note != "" {
			dc.FillText(note, vg.Point{X: panelsX + vg.Points(4), Y: ys[i]}, r.Note)
			continue
		}
		for j, c := range r.Cells {
			f.drawCell(dc, c, r.Untrusted, ys[i], func(v float64) vg.Length { return xOf(j, v) }, los[j], his[j], small)
		}
	}

	// The legend.
	f.drawLegend(dc, left, bottom-vg.Points(forestAxis))
	return nil
}

// drawCell draws one ratio: its interval, cut with an arrow past the
// axis, and its point.
func (f *Forest) drawCell(dc draw.Canvas, c ForestCell, untrusted bool, y vg.Length, xOf func(float64) vg.Length, lo, hi float64, small text.Style) {
	if !c.HasRatio || !(c.Ratio > 0) {
		what := c.Note
		if what == "" {
			what = "no ratio"
		}
		small.YAlign = draw.YCenter
		small.Color = noDataColor
		dc.FillText(small, vg.Point{X: xOf(1), Y: y}, what)
		return
	}
	clr := f.cellColor(c, untrusted)
	clamp := func(v float64) float64 { return min(max(v, lo), hi) }
	if c.HasCI {
		line := draw.LineStyle{Color: clr, Width: vg.Points(1.6)}
		x0, x1 := xOf(clamp(c.Low)), xOf(clamp(c.High))
		dc.StrokeLine2(line, x0, y, x1, y)
		if c.Low < lo {
			dc.FillPolygon(clr, arrow(x0, y, -1))
		}
		if c.High > hi {
			dc.FillPolygon(clr, arrow(x1, y, 1))
		}
	}
	glyph := draw.GlyphStyle{Color: clr, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
	if !c.HasCI || untrusted {
		glyph.Shape = draw.RingGlyph{}
		dc.DrawGlyphNoClip(draw.GlyphStyle{Color: color.White, Radius: glyph.Radius, Shape: draw.CircleGlyph{}}, vg.Point{X: xOf(clamp(c.Ratio)), Y: y})
	}
	dc.DrawGlyphNoClip(glyph, vg.Point{X: xOf(clamp(c.Ratio)), Y: y})
}

// cellColor is a cell's verdict colour.
func (f *Forest) cellColor(c ForestCell, untrusted bool) color.Color {
	switch {
	case untrusted || !c.HasCI:
		return noDataColor
	case c.Better >= 0:
		return lineColor(f.Engines[c.Better].Color)
	}
	return sameColor
}

// drawLegend says what the colours and shapes mean, on one line from x.
func (f *Forest) drawLegend(dc draw.Canvas, x, y vg.Length) {
	sty := forestText(sansFont, forestFont, color.Black, draw.XLeft, draw.YCenter)
	y -= vg.Points(forestLegend) / 2
	item := func(clr color.Color, hollow bool, s string) {
		g := draw.GlyphStyle{Color: clr, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
		if hollow {
			g.Shape = draw.RingGlyph{}
		}
		dc.DrawGlyphNoClip(g, vg.Point{X: x + vg.Points(3), Y: y})
		dc.FillText(sty, vg.Point{X: x + vg.Points(9), Y: y}, s)
		x += vg.Points(9) + sty.Width(s)*forestSlack + vg.Points(14)
	}
	for _, i := range []int{1, 0} {
		if e := f.Engines[i]; e.Target != "" {
			item(lineColor(e.Color), false, e.Target+" better")
		}
	}
	item(sameColor, false, "no significant difference")
	item(noDataColor, true, "no interval or generator-bound")
	higher := f.Engines[1].Target
	if higher != "" {
		dc.FillText(sty, vg.Point{X: x, Y: y}, fmt.Sprintf("right of 1: %s higher (throughput: better; latency: worse)", higher))
	}
}

// panelTitle names a panel.
func panelTitle(q threshold.Quantity) string { return string(q) }

func rect(x0, y0, x1, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

// arrow is a small triangle at x pointing left (dir −1) or right (+1):
// the interval goes on past the axis.
func arrow(x, y vg.Length, dir float64) []vg.Point {
	l, h := vg.Points(5*dir), vg.Points(3)
	return []vg.Point{{X: x + l, Y: y}, {X: x, Y: y + h}, {X: x, Y: y - h}}
}

// hasRows says whether the forest plot has anything to draw.
func (f *Forest) hasRows() bool {
	return slices.ContainsFunc(f.Rows, func(r ForestRow) bool { return len(r.Cells) > 0 || r.Note != "" })
}
